/* Decoding of the plan (format: libcontainer/plan/plan.go). Every length
 * is checked against what is left, before it is used: the plan comes from
 * berth's parent, but a decoder that trusts its input is a bug waiting. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"

static uint16_t le16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b) { return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32; }

int plan_read(int fd, struct plan *p, const char **why)
{
	size_t cap = 64 << 10, len = 0;
	unsigned char *buf = malloc(cap);

	*why = NULL;
	if (!buf)
		return -1;
	for (;;) {
		ssize_t n;
		if (len == cap) {
			unsigned char *nb;
			if (cap >= PLAN_MAX_SIZE) {
				free(buf);
				*why = "plan larger than its limit";
				return -1;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len < 4 || memcmp(buf, PLAN_MAGIC, 4)) {
		free(buf);
		*why = "plan without its magic (BPL1)";
		return -1;
	}
	p->buf = buf;
	p->len = len;
	p->off = 4;
	return 0;
}

int plan_next(struct plan *p, struct step *s, const char **why)
{
	size_t left = p->len - p->off, fl, dl;
	const unsigned char *b = p->buf + p->off;

	if (left == 0)
		return 0;
	if (left < 8) {
		*why = "truncated step header";
		return -1;
	}
	s->op = le16(b);
	fl = le16(b + 2);
	dl = le32(b + 4);
	left -= 8;
	if (fl > left || dl > left - fl) {
		*why = "truncated step";
		return -1;
	}
	/* Field names are printed in errors, as C strings: the Go decoder
	 * refuses the same (plan.MaxField). */
	if (fl >= sizeof(s->field) || memchr(b + 8, '\0', fl)) {
		*why = "field name too long, or with a NUL byte";
		return -1;
	}
	memcpy(s->field, b + 8, fl);
	s->field[fl] = '\0';
	s->data = b + 8 + fl;
	s->len = dl;
	s->off = 0;
	p->off += 8 + fl + dl;
	return 1;
}

int step_u64(struct step *s, uint64_t *v)
{
	if (s->len - s->off < 9 || s->data[s->off] != 'u')
		return -1;
	*v = le64(s->data + s->off + 1);
	s->off += 9;
	return 0;
}

/* take reads a length-prefixed item of the given tag. */
static int take(struct step *s, unsigned char tag, const unsigned char **v, size_t *n)
{
	size_t left = s->len - s->off, l;

	if (left < 5 || s->data[s->off] != tag)
		return -1;
	l = le32(s->data + s->off + 1);
	if (l > left - 5)
		return -1;
	*v = s->data + s->off + 5;
	*n = l;
	s->off += 5 + l;
	return 0;
}

int step_str(struct step *s, const char **v)
{
	const unsigned char *p;
	size_t n;

	if (take(s, 's', &p, &n) < 0 || n == 0 || p[n - 1] != '\0')
		return -1;
	*v = (const char *)p;
	return 0;
}

int step_bytes(struct step *s, const unsigned char **v, size_t *n)
{
	return take(s, 'b', v, n);
}

int step_done(const struct step *s) { return s->off == s->len; }
