// OpenSSL's libcrypto, already loaded by libcurl: SHA-256 for token hashes, HMAC-SHA256 for the
// hub's tags, PBKDF2-HMAC-SHA256 (evp.h) for web passwords, and the kernel-backed random bytes for keys.
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
