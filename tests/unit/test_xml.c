/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The XML reader (aws/xml.c): expat into irx's DOM. Names, namespaces, attributes, text as
 * libxml2 gave it (entities, CDATA, mixed content, line ends), and the documents it refuses:
 * malformed ones, DOCTYPEs (entity expansion, external entities), too deep, too large.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "test.h"
#include "util.h"

static struct irx_xml_doc *rd(const char *s)
{
	return irx_xml_read(s, strlen(s));
}

/* name[prefix:]{attrs}(children): the shape of a tree in one string */
static void dump_node(const struct irx_xml_node *n, struct irx_buf *b)
{
	irx_buf_adds(b, n->name);
	if (*n->prefix)
		irx_buf_addf(b, "[%s:]", n->prefix);
	if (n->n_attrs) {
		irx_buf_adds(b, "{");
		for (size_t i = 0; i < n->n_attrs; i++)
			irx_buf_addf(b, "%s%s%s%s=%s", i ? " " : "", n->attrs[i].prefix,
				     *n->attrs[i].prefix ? ":" : "", n->attrs[i].name, n->attrs[i].value);
		irx_buf_adds(b, "}");
	}
	if (n->children) {
		irx_buf_adds(b, "(");
		for (const struct irx_xml_node *c = n->children; c; c = c->next) {
			CU_ASSERT_PTR_EQUAL(c->parent, n);
			dump_node(c, b);
			if (c->next)
				irx_buf_adds(b, " ");
		}
		irx_buf_adds(b, ")");
	}
}

/* The tree of a document, "NULL" when refused. Owned by the caller. */
static char *tree(const char *xml, size_t len)
{
	struct irx_xml_doc *d = irx_xml_read(xml, len);
	struct irx_buf b = {0};

	if (!d)
		return irx_xstrdup("NULL");
	dump_node(irx_xml_root(d), &b);
	irx_xml_doc_free(d);
	return b.data;
}

#define ASSERT_TREE(xml, expected)                                                              \
	do {                                                                                    \
		char *t_ = tree((xml), strlen(xml));                                            \
		if (strcmp(t_, (expected)))                                                     \
			fprintf(stderr, "\n  %s\n  expected %s\n  got      %s\n", (xml), (expected), t_); \
		CU_ASSERT_STRING_EQUAL(t_, (expected));                                         \
		free(t_);                                                                       \
	} while (0)

/* The root's text content ("NULL" when refused). */
#define ASSERT_TEXT(xml, expected)                                                              \
	do {                                                                                    \
		struct irx_xml_doc *d_ = rd(xml);                                               \
		char *t_ = d_ ? irx_xml_text(irx_xml_root(d_)) : irx_xstrdup("NULL");           \
		CU_ASSERT_STRING_EQUAL(t_, (expected));                                         \
		free(t_);                                                                       \
		irx_xml_doc_free(d_);                                                           \
	} while (0)

static void test_structure(void)
{
	struct irx_xml_doc *d = rd("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<R xmlns=\"urn:x\"><a>1</a><b/><a>2</a><c><a>3</a></c></R>");
	const struct irx_xml_node *r = irx_xml_root(d), *a = NULL, *c = NULL;
	char *t = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->name, "R");
	CU_ASSERT_PTR_NULL(r->parent);
	CU_ASSERT_EQUAL(r->n_attrs, 0); /* xmlns is no attribute */
	a = irx_xml_child(r, "a");
	CU_ASSERT_PTR_EQUAL(a, r->children);
	t = irx_xml_text(a);
	CU_ASSERT_STRING_EQUAL(t, "1");
	free(t);
	c = irx_xml_child(r, "c");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_EQUAL(c->parent, r);
	CU_ASSERT_PTR_NULL(c->next);
	CU_ASSERT_PTR_NULL(irx_xml_child(r, "d"));
	CU_ASSERT_PTR_NULL(irx_xml_child(r, "A")); /* names are case-sensitive */
	t = irx_xml_text(r);
	CU_ASSERT_STRING_EQUAL(t, "123"); /* descendants' text, in order */
	free(t);
	irx_xml_doc_free(d);
	ASSERT_TREE("<R><a>1</a><b/><a>2</a><c><a>3</a></c></R>", "R(a b a c(a))");

	/* NULL-safe */
	CU_ASSERT_PTR_NULL(irx_xml_root(NULL));
	CU_ASSERT_PTR_NULL(irx_xml_child(NULL, "a"));
	CU_ASSERT_PTR_NULL(irx_xml_attr(NULL, "a"));
	t = irx_xml_text(NULL);
	CU_ASSERT_STRING_EQUAL(t, "");
	free(t);
	irx_xml_doc_free(NULL);
}

static void test_text(void)
{
	/* predefined entities and character references, decimal and hex, to UTF-8 */
	ASSERT_TEXT("<a>&amp;&lt;&gt;&quot;&apos; &#65;&#x42;&#xe9;&#x1F600;</a>",
		    "&<>\"' AB\xc3\xa9\xf0\x9f\x98\x80");
	/* CDATA unwrapped, its markup kept as text */
	ASSERT_TEXT("<a>x<![CDATA[<b>&amp;</b>]]>y</a>", "x<b>&amp;</b>y");
	/* comments and processing instructions are not text */
	ASSERT_TEXT("<a>x<!-- c -->y<?pi data?>z</a>", "xyz");
	/* whitespace kept as is; CRLF and CR become LF, &#13; stays CR */
	ASSERT_TEXT("<a>  x\r\ny\rz\t&#13;</a>", "  x\ny\nz\t\r");
	/* mixed content: every text node of the subtree, in document order */
	ASSERT_TEXT("<a>1<b>2<c>3</c>4</b>5<d/>6</a>", "123456");
	ASSERT_TEXT("<a/>", "");
	ASSERT_TEXT("<a></a>", "");
	ASSERT_TEXT("<a> </a>", " ");
	/* UTF-8 passes through */
	ASSERT_TEXT("<a>caf\xc3\xa9 \xe2\x82\xac</a>", "caf\xc3\xa9 \xe2\x82\xac");

	/* the parent's own text is the gaps between its children's text */
	{
		struct irx_xml_doc *d = rd("<a>x<b>y</b>z</a>");
		const struct irx_xml_node *a = irx_xml_root(d), *b = a->children;

		CU_ASSERT_EQUAL(a->text_len, 3);
		CU_ASSERT_EQUAL(b->text - a->text, 1);
		CU_ASSERT_EQUAL(b->text_len, 1);
		CU_ASSERT_EQUAL(memcmp(b->text, "y", 1), 0);
		irx_xml_doc_free(d);
	}
}

static void test_namespaces(void)
{
	/* declared prefixes are stripped from names; the default namespace changes nothing */
	ASSERT_TREE("<p:R xmlns:p=\"urn:p\" xmlns=\"urn:d\"><p:a/><b/></p:R>", "R[p:](a[p:] b)");
	/* a declaration reaches the element's own name and its descendants, not its siblings */
	ASSERT_TREE("<R><q:a xmlns:q=\"urn:q\"><q:b/></q:a><q:c/></R>", "R(a[q:](b[q:]) q:c)");
	/* undeclared prefixes stay in the name, as libxml2 kept them */
	ASSERT_TREE("<aws:Error><aws:Code>X</aws:Code></aws:Error>", "aws:Error(aws:Code)");
	/* xml is always declared; an empty declaration declares nothing */
	ASSERT_TREE("<R xmlns:e=\"\"><xml:a/><e:b/></R>", "R(a[xml:] e:b)");
	/* not split: empty parts, or a local part that cannot start a name */
	ASSERT_TREE("<R xmlns:p=\"urn:p\"><p:3x/><p:-y/></R>", "R(p:3x p:-y)");
	/* attributes: prefix split like names; namespace declarations are not attributes, but
	 * "xmlns:" and "xmlns:3p" are (libxml2 read them so) */
	ASSERT_TREE("<R xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\""
		    " id=\"7\" u:v=\"w\"/>",
		    "R{xsi:type=Group id=7 u:v=w}");
	ASSERT_TREE("<R xmlns:=\"a\" xmlns:3p=\"b\"/>", "R{xmlns:=a xmlns:3p=b}");
	/* attribute values: entities expanded, whitespace characters normalized to spaces */
	ASSERT_TREE("<R a=\"x&amp;y&#10;z\tw\nv\"/>", "R{a=x&y\nz w v}");
}

static void test_attr(void)
{
	struct irx_xml_doc *d = rd("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
				   " xsi:type=\"CanonicalUser\" id=\"1\" u:x=\"2\"/>");
	const struct irx_xml_node *g = irx_xml_root(d);

	CU_ASSERT_STRING_EQUAL(irx_xml_attr(g, "xsi:type"), "CanonicalUser");
	/* a bare name matches any attribute with that local name */
	CU_ASSERT_STRING_EQUAL(irx_xml_attr(g, "type"), "CanonicalUser");
	CU_ASSERT_STRING_EQUAL(irx_xml_attr(g, "id"), "1");
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "foo:type"));
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "xsi:id"));
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "xmlns:xsi"));
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "missing"));
	/* an undeclared prefix is part of the name ("u:x"), so neither "u:x" (prefix u) nor "x"
	 * finds it: as with libxml2 */
	CU_ASSERT_STRING_EQUAL(g->attrs[2].name, "u:x");
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "u:x"));
	CU_ASSERT_PTR_NULL(irx_xml_attr(g, "x"));
	irx_xml_doc_free(d);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		" ",
		"garbage",
		"<a>",
		"<a></b>",
		"<a/><b/>",
		"<a/>junk",
		"<a>x & y</a>",
		"<a>&foo;</a>",          /* no DTD: an undeclared entity */
		"<a>&#0;</a>",           /* not a character */
		"<a>]]></a>",
		"<a x=\"1\" x=\"2\"/>",
		"<a>\xff</a>",           /* not UTF-8 */
		"<a>\xc3</a>",
		" <?xml version=\"1.0\"?><a/>", /* the declaration must come first */
		"<?xml version=\"2.0\"?><a/>",  /* libxml2 took 1.x only */
		"<?xml version=\"1.0\" encoding=\"KOI8-R\"?><a/>",
		"<!-- only a comment -->",
		NULL,
	};

	for (size_t i = 0; bad[i]; i++) {
		struct irx_xml_doc *d = rd(bad[i]);

		if (d)
			fprintf(stderr, "\n  accepted: %s\n", bad[i]);
		CU_ASSERT_PTR_NULL(d);
		irx_xml_doc_free(d);
	}
	CU_ASSERT_PTR_NULL(irx_xml_read(NULL, 3));
	CU_ASSERT_PTR_NULL(irx_xml_read("<a/>", 0));
	/* a NUL inside the document is an error; NUL padding after it is not (libxml2 stopped
	 * at a NUL), but anything after the padding is */
	{
		char *t = tree("<a>x\0</a>", 9);

		CU_ASSERT_STRING_EQUAL(t, "NULL");
		free(t);
		t = tree("<a>x</a>\0\0", 10);

		CU_ASSERT_STRING_EQUAL(t, "a");
		free(t);
		t = tree("<a>x</a>\0y", 10);
		CU_ASSERT_STRING_EQUAL(t, "NULL");
		free(t);
	}
	/* what stays accepted around the root */
	ASSERT_TREE("\xef\xbb\xbf<?xml version=\"1.1\"?>\n<!-- c --><?pi?>\n<a/>\n<!-- c -->\n", "a");
}

static void test_doctype_refused(void)
{
	/* any DOCTYPE, so no entity is ever declared: billion laughs, external entities (XXE)
	 * and external DTDs cannot happen */
	static const char *const docs[] = {
		"<!DOCTYPE a><a/>",
		"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
		"<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		"<lolz>&lol3;</lolz>",
		"<!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a>&xxe;</a>",
		"<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/evil.dtd\"><a/>",
		"<!DOCTYPE a [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><a/>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Response><Response/>",
		NULL,
	};

	for (size_t i = 0; docs[i]; i++) {
		struct irx_xml_doc *d = rd(docs[i]);

		if (d)
			fprintf(stderr, "\n  accepted: %s\n", docs[i]);
		CU_ASSERT_PTR_NULL(d);
		irx_xml_doc_free(d);
	}
}

/* n nested <e> elements */
static char *nested(size_t n)
{
	struct irx_buf b = {0};

	for (size_t i = 0; i < n; i++)
		irx_buf_adds(&b, "<e>");
	irx_buf_adds(&b, "x");
	for (size_t i = 0; i < n; i++)
		irx_buf_adds(&b, "</e>");
	return b.data;
}

static void test_limits(void)
{
	char *s = nested(256);
	struct irx_xml_doc *d = rd(s);
	const struct irx_xml_node *n = irx_xml_root(d);
	size_t depth = 0;
	struct irx_buf b = {0};
	char *big = NULL;

	/* 256 levels (libxml2's default limit) parse... */
	for (; n; n = n->children)
		depth++;
	CU_ASSERT_EQUAL(depth, 256);
	irx_xml_doc_free(d);
	free(s);
	/* ...257 do not */
	s = nested(257);
	CU_ASSERT_PTR_NULL(rd(s));
	free(s);

	/* 1024 namespace declarations in scope, not 1025 */
	irx_buf_adds(&b, "<a");
	for (int i = 0; i < 1024; i++)
		irx_buf_addf(&b, " xmlns:p%d=\"urn:%d\"", i, i);
	irx_buf_adds(&b, "><p1023:b/></a>");
	d = rd(b.data);
	CU_ASSERT_PTR_NOT_NULL(d);
	CU_ASSERT_STRING_EQUAL(irx_xml_root(d)->children->name, "b");
	irx_xml_doc_free(d);
	b.len -= strlen("><p1023:b/></a>");
	irx_buf_adds(&b, " xmlns:q=\"urn:q\"/>");
	CU_ASSERT_PTR_NULL(rd(b.data));
	irx_buf_release(&b);

	/* more than 64 MiB (the transport's cap) is refused before parsing */
	big = calloc(64u * 1024 * 1024 + 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memcpy(big, "<a>", 3);
	CU_ASSERT_PTR_NULL(irx_xml_read(big, 64u * 1024 * 1024 + 1));
	free(big);

	/* a large document: 100 000 elements, 1 MB of text */
	for (int i = 0; i < 100000; i++)
		irx_buf_addf(&b, "%s<item>%05d&amp;</item>", i ? "" : "<list>", i);
	irx_buf_adds(&b, "</list>");
	d = rd(b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(irx_xml_root(d)->text_len, 600000);
	irx_xml_doc_free(d);
	irx_buf_release(&b);
}

static void test_encodings(void)
{
	/* UTF-16 with a BOM, and ISO-8859-1 as declared: text and names come out as UTF-8 */
	static const char utf16le[] = "\xff\xfe<\0a\0>\0\xe9\0\xac\x20<\0/\0a\0>\0";
	static const char latin1[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
	struct irx_xml_doc *d = irx_xml_read(utf16le, sizeof(utf16le) - 1);
	char *t = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	t = irx_xml_text(irx_xml_root(d));
	CU_ASSERT_STRING_EQUAL(t, "\xc3\xa9\xe2\x82\xac");
	free(t);
	irx_xml_doc_free(d);
	d = rd(latin1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	t = irx_xml_text(irx_xml_root(d));
	CU_ASSERT_STRING_EQUAL(t, "caf\xc3\xa9");
	free(t);
	irx_xml_doc_free(d);
}

static CU_TestInfo tests[] = {
	{"structure", test_structure},
	{"text", test_text},
	{"namespaces", test_namespaces},
	{"attributes", test_attr},
	{"malformed documents", test_malformed},
	{"doctype refused", test_doctype_refused},
	{"limits", test_limits},
	{"encodings", test_encodings},
	CU_TEST_INFO_NULL,
};

IRX_SUITE("xml", tests, NULL, NULL)
