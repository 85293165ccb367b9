/* SPDX-License-Identifier: Apache-2.0 */
/* When scheduled drills are due, the scheduler's state, systemd calendars (schedule.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "schedule.h"
#include "util.h"

time_t irx_schedule_due(const struct irx_cron *c, time_t last, time_t now)
{
	time_t next = irx_cron_next(c, last > 0 && last <= now ? last : now);

	if (next < 0)
		return -1;
	if (next <= now)
		return now; /* missed while down: once, now */
	return next;
}

static char *state_path(const char *state_dir)
{
	return irx_xasprintf("%s/schedule.json", state_dir);
}

struct json_object *irx_schedule_state_load(const char *state_dir, struct irx_error *err)
{
	char *path = state_path(state_dir), *text = NULL;
	struct json_object *o = NULL;
	size_t len = 0;

	if (irx_read_file(path, 4u << 20, &text, &len) < 0) {
		if (errno == ENOENT)
			o = json_object_new_object();
		else
			irx_error_set(err, IRX_ERR_IO, "cannot read '%s': %s", path,
				      strerror(errno));
	} else if (!(o = json_tokener_parse(text)) || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
		irx_error_set(err, IRX_ERR_PARSE, "'%s' is not a JSON object", path);
	}
	free(text);
	free(path);
	return o;
}

int irx_schedule_state_save(const char *state_dir, struct json_object *state, struct irx_error *err)
{
	char *path = state_path(state_dir), *tmp = irx_xasprintf("%s.tmp", path);
	const char *text = json_object_to_json_string_ext(
	    state, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	int fd = -1, rc = -1;

	mkdir(state_dir, 0700);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

time_t irx_schedule_last(struct json_object *state, const char *name)
{
	struct json_object *e = json_object_object_get(state, name);

	return e ? (time_t)json_object_get_int64(json_object_object_get(e, "last")) : 0;
}

void irx_schedule_set_last(struct json_object *state, const char *name, const char *scenario,
			   time_t t)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "last", json_object_new_int64((int64_t)t));
	json_object_object_add(e, "scenario", json_object_new_string(scenario));
	json_object_object_add(state, name, e);
}

/* "*" for a full set, else the values as a list ("00,15,30,45" with width 2, or names). */
static void field_text(uint64_t bits, int lo, int hi, int width, const char *const *names,
		       char *out, size_t len)
{
	uint64_t all = 0;
	size_t o = 0;

	for (int v = lo; v <= hi; v++)
		all |= 1ULL << v;
	if ((bits & all) == all) {
		snprintf(out, len, "*");
		return;
	}
	out[0] = '\0';
	for (int v = lo; v <= hi && o + 1 < len; v++) {
		int w = 0;

		if (!(bits & (1ULL << v)))
			continue;
		if (names)
			w = snprintf(out + o, len - o, "%s%s", o ? "," : "", names[v]);
		else
			w = snprintf(out + o, len - o, "%s%0*d", o ? "," : "", width, v);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

size_t irx_schedule_oncalendar(const struct irx_cron *c, char out[2][1024])
{
	static const char *const order[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	char min[256] = "", hour[128] = "", mday[128] = "", mon[64] = "", wday[64] = "";
	bool both = !c->mday_star && !c->wday_star;
	uint8_t wd = c->wdays;

	field_text(c->minutes, 0, 59, 2, NULL, min, sizeof(min));
	field_text(c->hours, 0, 23, 2, NULL, hour, sizeof(hour));
	field_text(c->mdays, 1, 31, 2, NULL, mday, sizeof(mday));
	field_text(c->months, 1, 12, 2, NULL, mon, sizeof(mon));
	/* weekdays Monday first, as systemd prints them */
	if ((wd & 0x7f) == 0x7f) {
		snprintf(wday, sizeof(wday), "*");
	} else {
		size_t o = 0;

		for (int i = 0; i < 7; i++) {
			int v = (i + 1) % 7;

			if (wd & (1u << v))
				o += (size_t)snprintf(wday + o, sizeof(wday) - o, "%s%s",
						      o ? "," : "", order[i]);
		}
	}
	if (both) {
		snprintf(out[0], 1024, "*-%s-%s %s:%s:00", mon, mday, hour, min);
		snprintf(out[1], 1024, "%s *-%s-* %s:%s:00", wday, mon, hour, min);
		return 2;
	}
	if (!strcmp(wday, "*"))
		snprintf(out[0], 1024, "*-%s-%s %s:%s:00", mon, mday, hour, min);
	else
		snprintf(out[0], 1024, "%s *-%s-%s %s:%s:00", wday, mon, mday, hour, min);
	return 1;
}
