/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the libFuzzer targets in fuzz/: quiet logging that
 * still turns GLib criticals into crashes, line splitting that keeps the
 * input's bytes, and an abort that names the broken invariant.
 */
#ifndef NCU_FUZZ_UTIL_H
#define NCU_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* libFuzzer's entry point, declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/*
 * Call first in every LLVMFuzzerTestOneInput (cheap after the first call).
 * Messages below critical are dropped (a fuzzer prints millions of them);
 * a critical or an error aborts, because it means a g_return_if_fail()
 * caught our own code misusing an API on some input.
 */
void ncu_fuzz_init (void);

/*
 * Splits @size bytes at '\n' into NUL-terminated copies (a NUL byte
 * inside a line ends that line's copy, as a C string API would see it).
 * A final line without '\n' counts; an empty input gives no line.
 */
GPtrArray *ncu_fuzz_split_lines (const uint8_t *data, size_t size);

/* Splits at every occurrence of @separator; the pieces are GBytes. */
GPtrArray *ncu_fuzz_split_records (const uint8_t *data, size_t size,
                                   const char *separator, guint max_records);

/*
 * The fixed X25519 keys of fuzz-signal-receive and of its generated seeds:
 * key i's private half is 32 bytes of 0x11 * (i + 1).
 */
enum {
	NCU_FUZZ_KEY_PEER_A,
	NCU_FUZZ_KEY_PEER_B,
	NCU_FUZZ_KEY_STRANGER,   /* not a configured peer */
	NCU_FUZZ_KEY_SELF,       /* the receiving session's own key */
	NCU_FUZZ_N_KEYS,
};
#define NCU_FUZZ_TOPIC_PREFIX "fuzz"
#define NCU_FUZZ_NOW          G_GINT64_CONSTANT (1700000000) /* the fixed clock */
/* Between the messages of one fuzz-signal-receive input. */
#define NCU_FUZZ_RECORD_SEPARATOR "\n%%\n"

void ncu_fuzz_key (guint which, guint8 private_key[32], guint8 public_key[32]);

/* Aborts with a message: a broken invariant is a finding like a crash. */
void ncu_fuzz_fail (const char *format, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

#define ncu_fuzz_check(cond) \
	do { if (!(cond)) ncu_fuzz_fail ("%s:%d: invariant failed: %s", __FILE__, __LINE__, #cond); } while (0)

#endif /* NCU_FUZZ_UTIL_H */
