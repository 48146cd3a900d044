// Host terminal calls for the emulated kernel's tty ioctls: tcgetattr/tcsetattr with the termios
// translated between the host's <termios.h> and NetBSD's (sys/sys/termios.h: the same names,
// other bit values, c_cc indices, _POSIX_VDISABLE and speeds given as numbers), TIOCGWINSZ /
// TIOCSWINSZ, and FIONREAD on a host descriptor. Names are matched here, at compile time, so
// the translation is right for whatever host this is built on. Errors come back as host errno
// names (the `code` of the thrown Error), which the kernel maps to NetBSD values.

#include <napi.h>

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>

// Host signals nbemu forwards to its guest (hostSignals.install): a bit per host signal number,
// set by the handler and taken by the kernel in JS. The slice block hook (binding.cc) also stops
// the engine while a bit is set, so a guest that computes without system calls hears of it.
std::atomic<uint32_t> g_hostSignals{0};

namespace {

Napi::Value Fail(Napi::Env env, int err, const char* what);

void OnHostSignal(int sig) { g_hostSignals.fetch_or(uint32_t(1) << sig, std::memory_order_relaxed); }

// hostSignalsInstall([numbers]): catch these host signals (without SA_RESTART, so that a blocking
// read of a terminal ends with EINTR and the guest's read can be interrupted).
Napi::Value HostSignalsInstall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array sigs = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < sigs.Length(); i++) {
    int sig = sigs.Get(i).As<Napi::Number>().Int32Value();
    if (sig <= 0 || sig >= 32) throw Napi::RangeError::New(env, "host signal out of range");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnHostSignal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, nullptr) != 0) return Fail(env, errno, "sigaction");
  }
  return env.Undefined();
}

// hostSignalsTake() → the mask of host signals caught since the last call (bit n: signal n).
Napi::Value HostSignalsTake(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), g_hostSignals.exchange(0, std::memory_order_relaxed));
}

// hostJobStop() → whether nbemu was stopped (and has been continued). A Ctrl-Z that stopped the
// guest's whole foreground group stops nbemu by the host's own default action for SIGTSTP, so
// the host applies its rules as for a native program: in an orphaned process group (no member
// has a parent in another group of the session: no shell to continue it) the stop is discarded
// and this returns at once with false. The SIGCONT that ends a stop is caught meanwhile, which
// tells the two apart; it may be taken by another thread, so a discarded stop is only concluded
// after a short wait for it.
std::atomic<bool> g_continued{false};
void OnContinued(int) { g_continued.store(true, std::memory_order_relaxed); }

Napi::Value HostJobStop(const Napi::CallbackInfo& info) {
  struct sigaction dfl, cont, oldTstp, oldCont;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  memset(&cont, 0, sizeof cont);
  cont.sa_handler = OnContinued;
  sigemptyset(&cont.sa_mask);
  sigset_t both, oldMask;
  sigemptyset(&both);
  sigaddset(&both, SIGTSTP);
  sigaddset(&both, SIGCONT);
  g_continued.store(false, std::memory_order_relaxed);
  sigaction(SIGCONT, &cont, &oldCont);
  sigaction(SIGTSTP, &dfl, &oldTstp);
  pthread_sigmask(SIG_UNBLOCK, &both, &oldMask);
  raise(SIGTSTP);  // a stop takes effect before raise returns; it returns when continued
  for (int i = 0; i < 50 && !g_continued.load(std::memory_order_relaxed); i++) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
  pthread_sigmask(SIG_SETMASK, &oldMask, nullptr);
  sigaction(SIGTSTP, &oldTstp, nullptr);
  sigaction(SIGCONT, &oldCont, nullptr);
  return Napi::Boolean::New(info.Env(), g_continued.load(std::memory_order_relaxed));
}

struct FlagMap {
  tcflag_t host;
  uint32_t netbsd;
};

// sys/sys/termios.h (NetBSD) values on the right.
const FlagMap kIflag[] = {
    {IGNBRK, 0x1},  {BRKINT, 0x2}, {IGNPAR, 0x4}, {PARMRK, 0x8},   {INPCK, 0x10},   {ISTRIP, 0x20},
    {INLCR, 0x40},  {IGNCR, 0x80}, {ICRNL, 0x100}, {IXON, 0x200},  {IXOFF, 0x400},  {IXANY, 0x800},
    {IMAXBEL, 0x2000},
};
const FlagMap kOflag[] = {
    {OPOST, 0x1},
    {ONLCR, 0x2},
#ifdef OXTABS
    {OXTABS, 0x4},
#elif defined(XTABS)
    {XTABS, 0x4},
#endif
    {OCRNL, 0x10},
    {ONOCR, 0x20},
    {ONLRET, 0x40},
};
const FlagMap kCflag[] = {
    {CSTOPB, 0x400}, {CREAD, 0x800},   {PARENB, 0x1000}, {PARODD, 0x2000},
    {HUPCL, 0x4000}, {CLOCAL, 0x8000},
#ifdef CRTSCTS
    {CRTSCTS, 0x10000},
#endif
};
const FlagMap kLflag[] = {
    {ECHOKE, 0x1},  {ECHOE, 0x2},   {ECHOK, 0x4},   {ECHO, 0x8},       {ECHONL, 0x10},
    {ECHOPRT, 0x20}, {ECHOCTL, 0x40}, {ISIG, 0x80},  {ICANON, 0x100},   {IEXTEN, 0x400},
#ifdef EXTPROC
    {EXTPROC, 0x800},
#endif
    {TOSTOP, 0x400000}, {FLUSHO, 0x800000}, {PENDIN, 0x20000000}, {NOFLSH, 0x80000000u},
};

struct CcMap {
  int host;
  int netbsd;
};
const CcMap kCc[] = {
    {VEOF, 0},   {VEOL, 1},  {VEOL2, 2},  {VERASE, 3}, {VWERASE, 4}, {VKILL, 5},   {VREPRINT, 6},
    {VINTR, 8},  {VQUIT, 9}, {VSUSP, 10}, {VSTART, 12}, {VSTOP, 13}, {VLNEXT, 14}, {VDISCARD, 15},
    {VMIN, 16},  {VTIME, 17},
#ifdef VDSUSP
    {VDSUSP, 11},
#endif
#ifdef VSTATUS
    {VSTATUS, 18},
#endif
};
const int kNccs = 20;
const unsigned char kNetbsdVdisable = 0xff;

struct SpeedMap {
  speed_t host;
  uint32_t baud;
};
const SpeedMap kSpeeds[] = {
    {B0, 0},         {B50, 50},       {B75, 75},       {B110, 110},     {B134, 134},
    {B150, 150},     {B200, 200},     {B300, 300},     {B600, 600},     {B1200, 1200},
    {B1800, 1800},   {B2400, 2400},   {B4800, 4800},   {B9600, 9600},   {B19200, 19200},
    {B38400, 38400}, {B57600, 57600}, {B115200, 115200}, {B230400, 230400},
};

uint32_t ToNetbsd(tcflag_t v, const FlagMap* m, size_t n) {
  uint32_t out = 0;
  for (size_t i = 0; i < n; i++)
    if ((v & m[i].host) == m[i].host && m[i].host != 0) out |= m[i].netbsd;
  return out;
}

tcflag_t ToHost(uint32_t v, const FlagMap* m, size_t n, tcflag_t keep) {
  tcflag_t out = keep;
  for (size_t i = 0; i < n; i++) {
    out &= ~m[i].host;
    if (v & m[i].netbsd) out |= m[i].host;
  }
  return out;
}

uint32_t BaudOf(speed_t s) {
  for (const auto& e : kSpeeds)
    if (e.host == s) return e.baud;
  return 9600;
}

bool SpeedOf(uint32_t baud, speed_t* out) {
  for (const auto& e : kSpeeds)
    if (e.baud == baud) {
      *out = e.host;
      return true;
    }
  return false;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

Napi::Value Fail(Napi::Env env, int err, const char* what) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + strerror(err));
  const char* name = err == ENOTTY ? "ENOTTY" : err == EBADF ? "EBADF" : err == EINVAL ? "EINVAL" : err == EIO ? "EIO" : err == EINTR ? "EINTR" : err == EPERM ? "EPERM" : "EIO";
  e.Set("code", Napi::String::New(env, name));
  throw e;
}

int FdArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  return info[0].As<Napi::Number>().Int32Value();
}

// ttyGetattr(fd) → Uint8Array: a NetBSD struct termios (44 bytes).
Napi::Value TtyGetattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return Fail(env, errno, "tcgetattr");
  Napi::Uint8Array out = Napi::Uint8Array::New(env, 44);
  uint8_t* b = out.Data();
  memset(b, 0, 44);
  uint32_t w[4] = {ToNetbsd(t.c_iflag, kIflag, N(kIflag)), ToNetbsd(t.c_oflag, kOflag, N(kOflag)),
                   ToNetbsd(t.c_cflag, kCflag, N(kCflag)), ToNetbsd(t.c_lflag, kLflag, N(kLflag))};
  switch (t.c_cflag & CSIZE) {
    case CS6: w[2] |= 0x100; break;
    case CS7: w[2] |= 0x200; break;
    case CS8: w[2] |= 0x300; break;
    default: break;
  }
  memcpy(b, w, sizeof w);
  memset(b + 16, kNetbsdVdisable, kNccs);
  for (const auto& c : kCc) {
    cc_t v = t.c_cc[c.host];
    // VMIN and VTIME are counts; the others are characters, 0 (Linux) or _POSIX_VDISABLE disabled.
    bool count = c.netbsd == 16 || c.netbsd == 17;
    b[16 + c.netbsd] = count ? v : (v == _POSIX_VDISABLE ? kNetbsdVdisable : v);
  }
  uint32_t sp[2] = {BaudOf(cfgetispeed(&t)), BaudOf(cfgetospeed(&t))};
  memcpy(b + 36, sp, sizeof sp);
  return out;
}

// ttySetattr(fd, action (0 TCSANOW, 1 TCSADRAIN, 2 TCSAFLUSH), termios bytes (NetBSD layout)).
Napi::Value TtySetattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  int action = info[1].As<Napi::Number>().Int32Value();
  Napi::Uint8Array in = info[2].As<Napi::Uint8Array>();
  if (in.ByteLength() < 44) throw Napi::TypeError::New(env, "termios must be 44 bytes");
  const uint8_t* b = in.Data();
  uint32_t w[4], sp[2];
  memcpy(w, b, sizeof w);
  memcpy(sp, b + 36, sizeof sp);
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return Fail(env, errno, "tcgetattr");
  t.c_iflag = ToHost(w[0], kIflag, N(kIflag), t.c_iflag);
  t.c_oflag = ToHost(w[1], kOflag, N(kOflag), t.c_oflag);
  t.c_cflag = ToHost(w[2], kCflag, N(kCflag), t.c_cflag & ~CSIZE);
  switch (w[2] & 0x300) {
    case 0x000: t.c_cflag |= CS5; break;
    case 0x100: t.c_cflag |= CS6; break;
    case 0x200: t.c_cflag |= CS7; break;
    default: t.c_cflag |= CS8; break;
  }
  t.c_lflag = ToHost(w[3], kLflag, N(kLflag), t.c_lflag);
  for (const auto& c : kCc) {
    uint8_t v = b[16 + c.netbsd];
    bool count = c.netbsd == 16 || c.netbsd == 17;
    t.c_cc[c.host] = count ? v : (v == kNetbsdVdisable ? _POSIX_VDISABLE : v);
  }
  speed_t is, os;
  if (SpeedOf(sp[0], &is)) cfsetispeed(&t, is);
  if (SpeedOf(sp[1], &os)) cfsetospeed(&t, os);
  int act = action == 1 ? TCSADRAIN : action == 2 ? TCSAFLUSH : TCSANOW;
  if (tcsetattr(fd, act, &t) != 0) return Fail(env, errno, "tcsetattr");
  return env.Undefined();
}

// ttyGetWinsize(fd) → [ws_row, ws_col, ws_xpixel, ws_ypixel].
Napi::Value TtyGetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct winsize ws;
  if (ioctl(FdArg(info), TIOCGWINSZ, &ws) != 0) return Fail(env, errno, "TIOCGWINSZ");
  Napi::Array a = Napi::Array::New(env, 4);
  a.Set(0u, ws.ws_row);
  a.Set(1u, ws.ws_col);
  a.Set(2u, ws.ws_xpixel);
  a.Set(3u, ws.ws_ypixel);
  return a;
}

Napi::Value TtySetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  struct winsize ws;
  ws.ws_row = info[1].As<Napi::Number>().Uint32Value();
  ws.ws_col = info[2].As<Napi::Number>().Uint32Value();
  ws.ws_xpixel = info[3].As<Napi::Number>().Uint32Value();
  ws.ws_ypixel = info[4].As<Napi::Number>().Uint32Value();
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return Fail(env, errno, "TIOCSWINSZ");
  return env.Undefined();
}

// fdNread(fd) → FIONREAD: the bytes a read would find now (pipes, sockets, terminals).
Napi::Value FdNread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = 0;
  if (ioctl(FdArg(info), FIONREAD, &n) != 0) return Fail(env, errno, "FIONREAD");
  return Napi::Number::New(env, n);
}

// ttyDrain(fd): tcdrain, for TIOCDRAIN and TCSADRAIN's wait.
Napi::Value TtyDrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (tcdrain(FdArg(info)) != 0) return Fail(env, errno, "tcdrain");
  return env.Undefined();
}

// ttyFlush(fd, queue: 1 input, 2 output, 3 both).
Napi::Value TtyFlush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int q = info[1].As<Napi::Number>().Int32Value();
  int sel = q == 1 ? TCIFLUSH : q == 2 ? TCOFLUSH : TCIOFLUSH;
  if (tcflush(FdArg(info), sel) != 0) return Fail(env, errno, "tcflush");
  return env.Undefined();
}

}  // namespace

void RegisterHostIo(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ttyGetattr", Napi::Function::New(env, TtyGetattr, "ttyGetattr"));
  o.Set("ttySetattr", Napi::Function::New(env, TtySetattr, "ttySetattr"));
  o.Set("ttyGetWinsize", Napi::Function::New(env, TtyGetWinsize, "ttyGetWinsize"));
  o.Set("ttySetWinsize", Napi::Function::New(env, TtySetWinsize, "ttySetWinsize"));
  o.Set("ttyDrain", Napi::Function::New(env, TtyDrain, "ttyDrain"));
  o.Set("ttyFlush", Napi::Function::New(env, TtyFlush, "ttyFlush"));
  o.Set("fdNread", Napi::Function::New(env, FdNread, "fdNread"));
  o.Set("hostSignalsInstall", Napi::Function::New(env, HostSignalsInstall, "hostSignalsInstall"));
  o.Set("hostSignalsTake", Napi::Function::New(env, HostSignalsTake, "hostSignalsTake"));
  o.Set("hostJobStop", Napi::Function::New(env, HostJobStop, "hostJobStop"));
  exports.Set("hostio", o);
}
