/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scheduled drills (`schedules:` in irx.yaml): when each is due, what the scheduler remembers
 * between restarts, and the systemd calendar form of a cron expression.
 *
 * Missed runs: the state file keeps, per schedule, when it last ran (or, before its first run,
 * since when the scheduler has known it). A fire time that passed while nothing was running is
 * due at once, and only once however many were missed; then the schedule resumes from now.
 */
#ifndef IRX_SCHEDULE_H
#define IRX_SCHEDULE_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "cron.h"

struct irx_error;

/*
 * When a schedule with expression c is next due, given `last` (its last run, or when it was
 * first seen) and now: now itself when a fire time in (last, now] was missed, else the next fire
 * time after now. -1 when it never fires.
 */
time_t irx_schedule_due(const struct irx_cron *c, time_t last, time_t now);

/* <state_dir>/schedule.json: {"NAME": {"last": EPOCH, "scenario": ...}}. A missing file is {}.
 * Transferred; NULL with err set when it cannot be read or is not JSON. */
struct json_object *irx_schedule_state_load(const char *state_dir, struct irx_error *err);
/* Written whole (temporary file, fsync, rename). Returns 0 or -1 with err set. */
int irx_schedule_state_save(const char *state_dir, struct json_object *state,
			    struct irx_error *err);
/* The state's "last" for name, or 0. */
time_t irx_schedule_last(struct json_object *state, const char *name);
void irx_schedule_set_last(struct json_object *state, const char *name, const char *scenario,
			   time_t t);

/*
 * systemd.time(7) OnCalendar= values for c ("Mon *-*-* 03:00:00"). Cron's rule that a
 * restricted day-of-month OR day-of-week matches needs two (systemd ANDs them): fills out[0]
 * and, then, out[1]; returns the count.
 */
size_t irx_schedule_oncalendar(const struct irx_cron *c, char out[2][1024]);

#endif
