/*
 * certkiosk USB-key simulator: a PKCS#11 module that forwards every call to SoftHSM2 and adds what a real
 * USB key does and SoftHSM does not: the user PIN locks after a number of wrong tries (with the
 * COUNT_LOW / FINAL_TRY / LOCKED token flags), and an SO C_InitPIN unlocks it.
 *
 * Threads: the application's C_Initialize arguments are forwarded to SoftHSM unchanged, and the sim guards
 * its own state (the try counters: check, login, count) with one lock: a pthread mutex, or the
 * application's mutex callbacks when it supplies those without CKF_OS_LOCKING_OK (PKCS#11 v2.40 §5.4).
 *
 * Environment:
 *   CERTKIOSK_SIM_MODULE     the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   CERTKIOSK_SIM_STATE_DIR  where try counters live, one file per token serial (default: $SOFTHSM2_CONF's dir)
 *   CERTKIOSK_SIM_MAX_TRIES  wrong user-PIN tries before the PIN locks (default 6)
 * Every wrong user PIN is also appended to usbkey-sim-<serial>.wrong-total (never reset), so a test can tell
 * whether anything ever spent a holder's try.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <pkcs11/pkcs11.h>

static void *real_lib;
static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST sim;

/* The lock around the try counters. */
static pthread_mutex_t os_lock = PTHREAD_MUTEX_INITIALIZER;
static CK_LOCKMUTEX app_lock_fn;
static CK_UNLOCKMUTEX app_unlock_fn;
static CK_DESTROYMUTEX app_destroy_fn;
static CK_VOID_PTR app_mutex;

static void lock(void) {
  if (app_mutex) app_lock_fn(app_mutex);
  else pthread_mutex_lock(&os_lock);
}

static void unlock(void) {
  if (app_mutex) app_unlock_fn(app_mutex);
  else pthread_mutex_unlock(&os_lock);
}

static int max_tries(void) {
  const char *v = getenv("CERTKIOSK_SIM_MAX_TRIES");
  int n = v ? atoi(v) : 6;
  return n > 0 ? n : 6;
}

static void state_path(const char *serial, char *out, size_t n) {
  const char *dir = getenv("CERTKIOSK_SIM_STATE_DIR");
  char conf[4096] = "/tmp";
  if (!dir) {
    const char *c = getenv("SOFTHSM2_CONF");
    if (c) {
      snprintf(conf, sizeof conf, "%s", c);
      dir = dirname(conf);
    } else {
      dir = "/tmp";
    }
  }
  snprintf(out, n, "%s/usbkey-sim-%s.tries", dir, serial);
}

static int read_tries(const char *serial) {
  char p[4200];
  state_path(serial, p, sizeof p);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  int n = 0;
  if (fscanf(f, "%d", &n) != 1) n = 0;
  fclose(f);
  return n;
}

static void write_tries(const char *serial, int n) {
  char p[4200];
  state_path(serial, p, sizeof p);
  if (n == 0) {
    remove(p);
    return;
  }
  FILE *f = fopen(p, "w");
  if (!f) return;
  fprintf(f, "%d\n", n);
  fclose(f);
}

/* Token serial (blank-trimmed) of a slot; empty string when unknown. */
static void slot_serial(CK_SLOT_ID slot, char *out) {
  CK_TOKEN_INFO ti;
  out[0] = 0;
  if (real->C_GetTokenInfo(slot, &ti) != CKR_OK) return;
  int len = 16;
  while (len > 0 && (ti.serialNumber[len - 1] == ' ' || ti.serialNumber[len - 1] == 0)) len--;
  memcpy(out, ti.serialNumber, len);
  out[len] = 0;
}

static void session_serial(CK_SESSION_HANDLE s, char *out) {
  CK_SESSION_INFO si;
  out[0] = 0;
  if (real->C_GetSessionInfo(s, &si) != CKR_OK) return;
  slot_serial(si.slotID, out);
}

/* Every wrong user PIN ever given to a key, never reset (a good login or C_InitPIN resets the try counter,
 * which would hide that a try was spent): usbkey-sim-<serial>.wrong-total, one line per wrong try. */
static void log_wrong_try(const char *serial) {
  char p[4200];
  state_path(serial, p, sizeof p);
  size_t len = strlen(p);
  if (len > 6 && strcmp(p + len - 6, ".tries") == 0) p[len - 6] = 0;
  strncat(p, ".wrong-total", sizeof p - strlen(p) - 1);
  FILE *f = fopen(p, "a");
  if (!f) return;
  fputs("wrong user PIN\n", f);
  fclose(f);
}

/* Count a wrong try; report INCORRECT until the last one, which locks. */
static CK_RV wrong_try(const char *serial) {
  int n = read_tries(serial) + 1;
  log_wrong_try(serial);
  write_tries(serial, n);
  return n >= max_tries() ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
}

/* Check, try and count under one lock: two threads guessing at once get two tries counted, not one. */
static CK_RV login_locked(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  char serial[17];
  session_serial(s, serial);
  if (serial[0] && read_tries(serial) >= max_tries()) return CKR_PIN_LOCKED;
  CK_RV rv = real->C_Login(s, user, pin, len);
  if (!serial[0]) return rv;
  if (rv == CKR_PIN_INCORRECT) return wrong_try(serial);
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) write_tries(serial, 0);
  return rv;
}

static CK_RV sim_Login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  if (user != CKU_USER) return real->C_Login(s, user, pin, len);
  lock();
  CK_RV rv = login_locked(s, user, pin, len);
  unlock();
  return rv;
}

static CK_RV setpin_locked(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR oldp, CK_ULONG oldl, CK_UTF8CHAR_PTR newp,
                           CK_ULONG newl) {
  CK_SESSION_INFO si;
  int so = real->C_GetSessionInfo(s, &si) == CKR_OK && si.state == CKS_RW_SO_FUNCTIONS;
  char serial[17];
  session_serial(s, serial);
  if (so || !serial[0]) return real->C_SetPIN(s, oldp, oldl, newp, newl);
  if (read_tries(serial) >= max_tries()) return CKR_PIN_LOCKED;
  CK_RV rv = real->C_SetPIN(s, oldp, oldl, newp, newl);
  if (rv == CKR_PIN_INCORRECT) return wrong_try(serial);
  if (rv == CKR_OK) write_tries(serial, 0);
  return rv;
}

static CK_RV sim_SetPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR oldp, CK_ULONG oldl, CK_UTF8CHAR_PTR newp, CK_ULONG newl) {
  lock();
  CK_RV rv = setpin_locked(s, oldp, oldl, newp, newl);
  unlock();
  return rv;
}

static CK_RV sim_InitPIN(CK_SESSION_HANDLE s, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  lock();
  CK_RV rv = real->C_InitPIN(s, pin, len);
  if (rv == CKR_OK) {
    char serial[17];
    session_serial(s, serial);
    if (serial[0]) write_tries(serial, 0);
  }
  unlock();
  return rv;
}

static CK_RV sim_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  CK_RV rv = real->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;
  char serial[17];
  int len = 16;
  while (len > 0 && (info->serialNumber[len - 1] == ' ' || info->serialNumber[len - 1] == 0)) len--;
  memcpy(serial, info->serialNumber, len);
  serial[len] = 0;
  info->flags &= ~(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
  if (!serial[0]) return rv;
  lock();
  int n = read_tries(serial), max = max_tries();
  unlock();
  if (n >= max) info->flags |= CKF_USER_PIN_LOCKED;
  else if (n == max - 1) info->flags |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
  else if (n > 0) info->flags |= CKF_USER_PIN_COUNT_LOW;
  return rv;
}

/* The application's arguments go to SoftHSM as they are; the sim picks its own lock from them. */
static CK_RV sim_Initialize(CK_VOID_PTR pInitArgs) {
  CK_RV rv = real->C_Initialize(pInitArgs);
  if (rv != CKR_OK) return rv;
  CK_C_INITIALIZE_ARGS_PTR args = (CK_C_INITIALIZE_ARGS_PTR)pInitArgs;
  if (args && !(args->flags & CKF_OS_LOCKING_OK) && args->CreateMutex && args->LockMutex && args->UnlockMutex &&
      args->DestroyMutex) {
    CK_VOID_PTR m = NULL;
    rv = args->CreateMutex(&m);
    if (rv != CKR_OK) {
      real->C_Finalize(NULL);
      return rv;
    }
    app_lock_fn = args->LockMutex;
    app_unlock_fn = args->UnlockMutex;
    app_destroy_fn = args->DestroyMutex;
    app_mutex = m;
  }
  return CKR_OK;
}

static CK_RV sim_Finalize(CK_VOID_PTR pReserved) {
  CK_RV rv = real->C_Finalize(pReserved);
  if (rv == CKR_OK && app_mutex) {
    app_destroy_fn(app_mutex);
    app_mutex = NULL;
  }
  return rv;
}

static CK_RV load_real(void) {
  if (real) return CKR_OK;
  const char *path = getenv("CERTKIOSK_SIM_MODULE");
  if (!path) path = "/usr/lib/softhsm/libsofthsm2.so";
  real_lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!real_lib) return CKR_GENERAL_ERROR;
  CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(real_lib, "C_GetFunctionList");
  if (!get || get(&real) != CKR_OK) return CKR_GENERAL_ERROR;
  sim = *real;
  sim.C_Initialize = sim_Initialize;
  sim.C_Finalize = sim_Finalize;
  sim.C_Login = sim_Login;
  sim.C_SetPIN = sim_SetPIN;
  sim.C_InitPIN = sim_InitPIN;
  sim.C_GetTokenInfo = sim_GetTokenInfo;
  return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!list) return CKR_ARGUMENTS_BAD;
  CK_RV rv = load_real();
  if (rv != CKR_OK) return rv;
  sim.C_GetFunctionList = C_GetFunctionList;
  *list = &sim;
  return CKR_OK;
}
