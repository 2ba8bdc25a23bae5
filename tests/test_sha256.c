/* SHA-256 against the FIPS 180-4 examples and sha256sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowchronicle/sha256.h"
#include "testutil.h"

static void hex_of(const char *msg, size_t n, char out[65]) {
  fc_sha256 s;
  fc_sha256_init(&s);
  /* Feed in uneven pieces to exercise the buffering. */
  size_t step = 7;
  for (size_t i = 0; i < n; i += step) fc_sha256_update(&s, msg + i, n - i < step ? n - i : step);
  uint8_t d[32];
  fc_sha256_final(&s, d);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void known_vectors(void **state) {
  (void)state;
  char h[65];
  hex_of("", 0, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hex_of("abc", 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of(m, strlen(m), h);
  assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void file_matches_sha256sum(void **state) {
  (void)state;
  char *dir = fct_tmpdir();
  char *p = fct_join(dir, "x.txt");
  char text[5000];
  for (int i = 0; i < 4999; i++) text[i] = (char)('a' + i % 26);
  text[4999] = '\0';
  assert_true(fct_write(p, text));
  char h[65];
  assert_int_equal(fc_sha256_file(p, h), FC_OK);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "sha256sum '%s' | grep -q '^%s '", p, h);
  assert_int_equal(fct_system(cmd), 0);
  assert_int_equal(fc_sha256_file("/nonexistent/file", h), FC_ERR_IO);
  fct_rmtree(dir);
  free(p);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(known_vectors),
                                     cmocka_unit_test(file_matches_sha256sum)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
