// nbemu_unicorn: Node-API binding for the Unicorn CPU engine (2.0.x and 2.1.x).
//
// Two faces:
//   * Unicorn      - the classic unicorn.js-shaped API (map/read/write/regs/hooks/emu_start/...).
//                    JS hook callbacks run synchronously inside emu_start on the JS thread.
//   * TrapCpu      - the kernel's fast path. C hooks (syscall insn, invalid memory, interrupt)
//                    record the trap into a shared typed array and stop the engine; run()
//                    resumes the CPU at RIP and returns the trap kind. No JS runs inside the
//                    engine, no allocation and no BigInt on the path.
//
// Rules kept throughout:
//   * No C++ exception ever unwinds through Unicorn's C frames: every hook trampoline catches
//     everything. Methods called from JS may throw; node-addon-api turns that into a JS throw.
//   * Every engine call checks the handle is open. close() while the engine runs is deferred
//     until uc_emu_start returns.
//   * Buffers given to mem_map_ptr are kept strongly referenced while any part is mapped.

#include <napi.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#if !defined(UC_API_MAJOR) || UC_API_MAJOR < 2
#error "nbemu needs Unicorn 2.x (libunicorn-dev >= 2.0)"
#endif

// Host signals caught for the guest (hostio.cc).
extern std::atomic<uint32_t> g_hostSignals;

namespace {

// ---- trap record layout (mirrored in constants.ts) -----------------------------------------
enum : int {
  TRAP_KIND = 0,
  TRAP_DETAIL = 1,
  TRAP_RIP = 2,
  TRAP_ADDR = 3,
  TRAP_RAX = 4,
  TRAP_RDI = 5,
  TRAP_RSI = 6,
  TRAP_RDX = 7,
  TRAP_R10 = 8,
  TRAP_R8 = 9,
  TRAP_R9 = 10,
  TRAP_RSP = 11,
  TRAP_RESULT_FLAGS = 12,
  TRAP_RESULT_RAX = 13,
  TRAP_RESULT_RDX = 14,
  TRAP_SLICE_US = 15,  // resume()'s slice, a double
  TRAP_SLOTS = 16,
};
enum : uint64_t {
  KIND_NONE = 0,
  KIND_SYSCALL = 1,
  KIND_FAULT = 2,
  KIND_INTERRUPT = 3,
  KIND_SLICE = 4,
  KIND_ERROR = 5,
  KIND_HALT = 6,
};
enum : uint64_t {
  RESULT_PENDING = 1,
  RESULT_CARRY = 2,
  RESULT_JUSTRETURN = 4,
};

// Length of the x86-64 `syscall` instruction (0f 05).
constexpr uint64_t SYSCALL_INSN_LEN = 2;

using Clock = std::chrono::steady_clock;

class Engine;
class TrapCpu;
class Context;

namespace envscan {
bool SafeRead(uintptr_t addr, void* out, size_t n);
bool Plausible(uint64_t p);
uint64_t* LocateX86Env(uc_engine* uc);
}  // namespace envscan

// ---- the slice watchdog ---------------------------------------------------------------------
// One long-lived thread per Node environment, shared by all TrapCpus of that environment (run()
// is synchronous, so at most one slice is armed at a time).
//
// The watchdog never calls uc_emu_stop itself. Unicorn's stop is not safe from another thread:
// measured on 2.0.1, a stop that lands while the CPU is inside a store helper leaves RIP at the
// start of the translation block after some of its instructions ran, so they run twice on
// resume. Instead the watchdog sets kFired in its state word, and the TrapCpu's block hook - on
// the CPU thread, at the start of a block, before any of its instructions - sees it and stops
// the engine there (exact RIP).
//
// Arm and Disarm take no lock: the state word holds a generation (advanced by every Arm) and the
// kArmed/kFired bits. The thread fires with a compare-exchange that expects the armed state of
// the generation it looked at, and Disarm exchanges the word for a disarmed one and reports
// whether kFired was in it, so a late wake-up can never mark a later run (or an unsliced one).
// The thread sleeps until the armed deadline; Arm wakes it (mutex + notify) only when the new
// deadline is earlier than the one it sleeps towards, which in a steady stream of equal slices
// is never: a sliced run() costs a clock read and two atomic operations. Lost wake-ups are
// ruled out by the usual pairing: the thread publishes sleepingUntil_ and then reads the state,
// Arm publishes the state and then reads sleepingUntil_ (all sequentially consistent), and the
// notify takes the mutex the thread holds until it waits.
class Watchdog {
 public:
  static constexpr uint64_t kArmed = 1, kFired = 2, kGeneration = 4;

  ~Watchdog() { Stop(); }

  void Arm(double micros) {
    if (!started_.load(std::memory_order_acquire)) EnsureStarted();
    int64_t dl = NowNs() + static_cast<int64_t>(micros * 1000);
    gen_ += kGeneration;
    deadline_.store(dl, std::memory_order_relaxed);
    state_.store(gen_ | kArmed, std::memory_order_seq_cst);
    if (dl < sleepingUntil_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lk(m_);
      cv_.notify_one();
    }
  }

  // Returns whether the slice expired during this run; from now on nothing can mark it.
  bool Disarm() { return (state_.exchange(gen_, std::memory_order_acq_rel) & kFired) != 0; }

  // The word the block hook watches (kFired).
  const std::atomic<uint64_t>* state() const { return &state_; }

  // Stop and join the thread (idempotent). Safe to call when never started.
  void Stop() {
    {
      std::lock_guard<std::mutex> lk(m_);
      if (!started_.load(std::memory_order_relaxed)) return;
      quit_ = true;
    }
    cv_.notify_all();
    if (th_.joinable()) th_.join();
    std::lock_guard<std::mutex> lk(m_);
    started_.store(false, std::memory_order_release);
    quit_ = false;
    sleepingUntil_.store(kNever, std::memory_order_seq_cst);
  }

  int users = 0;  // live TrapCpus using this watchdog (JS thread only)

 private:
  static constexpr int64_t kNever = INT64_MAX;
  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  }

  void EnsureStarted() {
    std::lock_guard<std::mutex> lk(m_);
    if (started_.load(std::memory_order_relaxed)) return;
    quit_ = false;
    th_ = std::thread([this] { Loop(); });
    started_.store(true, std::memory_order_release);
  }

  void Loop() {
    std::unique_lock<std::mutex> lk(m_);
    while (!quit_) {
      sleepingUntil_.store(kNever, std::memory_order_seq_cst);
      uint64_t s = state_.load(std::memory_order_seq_cst);
      if (!(s & kArmed) || (s & kFired)) {
        cv_.wait(lk);
        continue;
      }
      int64_t dl = deadline_.load(std::memory_order_relaxed);
      if (NowNs() >= dl) {
        state_.compare_exchange_strong(s, s | kFired, std::memory_order_seq_cst);
        continue;
      }
      sleepingUntil_.store(dl, std::memory_order_seq_cst);
      cv_.wait_until(lk, Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(dl))));
    }
    sleepingUntil_.store(kNever, std::memory_order_seq_cst);
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::thread th_;
  std::atomic<bool> started_{false};
  bool quit_ = false;      // under m_
  uint64_t gen_ = 0;       // CPU thread only
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> deadline_{0};
  std::atomic<int64_t> sleepingUntil_{kNever};
};

// ---- per-environment data -------------------------------------------------------------------
struct AddonData {
  Napi::FunctionReference errorClass;
  Napi::FunctionReference unicornCtor;
  Napi::FunctionReference trapCtor;
  Napi::FunctionReference contextCtor;
  std::shared_ptr<Watchdog> watchdog = std::make_shared<Watchdog>();
};

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// ---- errors ---------------------------------------------------------------------------------
Napi::Error MakeUcError(Napi::Env env, int code, const std::string& what) {
  std::string msg = what + ": " + uc_strerror(static_cast<uc_err>(code));
  AddonData* ad = Data(env);
  if (ad != nullptr && !ad->errorClass.IsEmpty()) {
    Napi::Object e = ad->errorClass.New({Napi::String::New(env, msg), Napi::Number::New(env, code)});
    return Napi::Error(env, e);
  }
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("name", Napi::String::New(env, "UnicornError"));
  e.Set("code", Napi::Number::New(env, code));
  return e;
}

[[noreturn]] void ThrowUc(Napi::Env env, int code, const std::string& what) {
  throw MakeUcError(env, code, what);
}

void Check(Napi::Env env, uc_err err, const char* what) {
  if (err != UC_ERR_OK) ThrowUc(env, err, what);
}

// ---- argument conversion ----------------------------------------------------------------------
constexpr double TWO_64 = 18446744073709551616.0;

uint64_t ToU64(Napi::Env env, const Napi::Value& v, const char* what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowUc(env, UC_ERR_ARG, std::string(what) + " out of range for an unsigned 64-bit value");
    return x;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d >= TWO_64 || std::floor(d) != d)
      ThrowUc(env, UC_ERR_ARG, std::string(what) + " must be a non-negative integer");
    return static_cast<uint64_t>(d);
  }
  ThrowUc(env, UC_ERR_ARG, std::string(what) + " must be a number or bigint");
}

uint64_t ToU64Or(Napi::Env env, const Napi::Value& v, uint64_t dflt, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return dflt;
  return ToU64(env, v, what);
}

// A register value: accepts the range -2^63 .. 2^64-1 (negatives as two's complement).
uint64_t ToRegValue(Napi::Env env, const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return x;
    int64_t s = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless) return static_cast<uint64_t>(s);
    ThrowUc(env, UC_ERR_ARG, "register value out of 64-bit range");
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || d >= TWO_64 || d < -9223372036854775808.0)
      ThrowUc(env, UC_ERR_ARG, "register value must be an integer in 64-bit range");
    if (d < 0) return static_cast<uint64_t>(static_cast<int64_t>(d));
    return static_cast<uint64_t>(d);
  }
  ThrowUc(env, UC_ERR_ARG, "register value must be a number or bigint");
}

int ToInt(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowUc(env, UC_ERR_ARG, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d || d < -2147483648.0 || d > 4294967295.0)
    ThrowUc(env, UC_ERR_ARG, std::string(what) + " must be a 32-bit integer");
  return static_cast<int>(static_cast<int64_t>(d));
}

// Byte view of an ArrayBuffer, TypedArray, DataView or Buffer.
bool BytesOf(const Napi::Value& v, uint8_t** data, size_t* len) {
  if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    *data = static_cast<uint8_t*>(ab.Data());
    *len = ab.ByteLength();
    return true;
  }
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    *len = ta.ByteLength();
    return true;
  }
  if (v.IsDataView()) {
    auto dv = v.As<Napi::DataView>();
    *data = static_cast<uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
    *len = dv.ByteLength();
    return true;
  }
  return false;
}

// ---- x86 register widths ----------------------------------------------------------------------
enum RegKind { REG_SCALAR, REG_WIDE, REG_UNSUPPORTED };

RegKind X86RegKind(int reg, int* bytes) {
  *bytes = 8;
  if (reg >= UC_X86_REG_XMM0 && reg <= UC_X86_REG_XMM31) { *bytes = 16; return REG_WIDE; }
  if (reg >= UC_X86_REG_YMM0 && reg <= UC_X86_REG_YMM31) { *bytes = 32; return REG_WIDE; }
  if (reg >= UC_X86_REG_ZMM0 && reg <= UC_X86_REG_ZMM31) { *bytes = 64; return REG_WIDE; }
  if ((reg >= UC_X86_REG_FP0 && reg <= UC_X86_REG_FP7) || (reg >= UC_X86_REG_ST0 && reg <= UC_X86_REG_ST7)) {
    *bytes = 10;
    return REG_WIDE;
  }
  if (reg == UC_X86_REG_IDTR || reg == UC_X86_REG_GDTR || reg == UC_X86_REG_LDTR || reg == UC_X86_REG_TR ||
      reg == UC_X86_REG_MSR)
    return REG_UNSUPPORTED;
  return REG_SCALAR;
}

// =============================================================================================
// Unicorn (Engine)
// =============================================================================================
struct JsHook {
  Engine* eng = nullptr;
  Napi::FunctionReference cb;
  uc_hook h = 0;
  int type = 0;
  int insn = 0;
  bool dead = false;
};

struct BufMap {
  Napi::Reference<Napi::ArrayBuffer> ref;
  std::vector<std::pair<uint64_t, uint64_t>> live;  // [begin, end) ranges still mapped
};

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override { DoClose(); }

  uc_engine* uc = nullptr;
  int arch = 0;
  int mode = 0;
  bool running = false;
  bool closePending = false;
  // TrapCpu runs with Unicorn's "exits" mode on and no exit set: uc_emu_start then ignores
  // `until`, and Unicorn skips invalidating the `until` translation (a failing TLB fill for an
  // unmapped address) on every return. The classic emu_start switches it back off.
  bool exitsMode = false;
  void SetExitsMode(bool on) {
    if (exitsMode == on) return;
    if (on)
      uc_ctl(uc, UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), 1);
    else
      uc_ctl(uc, UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), 0);
    exitsMode = on;
  }
  std::unique_ptr<Napi::Error> pending;  // JS exception thrown by a hook during this run
  std::unordered_set<TrapCpu*> traps;
  void RegionSplitAt(uint64_t at);
  void RearmFastStores(uint64_t begin, uint64_t end);
  void PauseFastStores(bool pause);
  std::unordered_set<Context*> contexts;

  void CheckOpen() {
    if (uc == nullptr || closePending) ThrowUc(Env(), UC_ERR_HANDLE, "Unicorn engine is closed");
  }
  void CheckIdle(const char* what) {
    CheckOpen();
    if (running) ThrowUc(Env(), UC_ERR_ARG, std::string(what) + ": the engine is already running (not re-entrant)");
  }
  void SetPending(Napi::Error&& e) {
    if (!pending) pending = std::make_unique<Napi::Error>(std::move(e));
    if (uc) uc_emu_stop(uc);
  }
  // Called when uc_emu_start returned: free deleted hooks, carry out a deferred close.
  void AfterRun() {
    deadHooks_.clear();
    if (closePending) DoClose();
  }
  void RethrowPending() {
    if (pending) {
      Napi::Error e = std::move(*pending);
      pending.reset();
      throw e;
    }
  }
  void DoClose();
  void DropTranslations(uint64_t begin, uint64_t end);

  // The mem_map_ptr mappings as the binding made them (split and updated by unmap/protect):
  // which guest pages are host memory we know, with which protection. FastStores trusts a TLB
  // entry only if it agrees with this map. `regionsEpoch` changes with every update.
  struct PtrRegion {
    uint64_t end;  // exclusive
    uint32_t perms;
    uintptr_t host;  // host address of the region's first byte
  };
  std::map<uint64_t, PtrRegion> ptrRegions;
  uint64_t regionsEpoch = 0;
  // The region holding the whole page at `page`, or nullptr; *begin receives its start.
  const PtrRegion* RegionOfPage(uint64_t page, uint64_t* begin) const {
    auto it = ptrRegions.upper_bound(page);
    if (it == ptrRegions.begin()) return nullptr;
    --it;
    if (page + 4096 > it->second.end) return nullptr;
    *begin = it->first;
    return &it->second;
  }
  // JS hooks on valid memory accesses (UC_HOOK_MEM_READ/WRITE/FETCH/READ_AFTER): while any
  // exists, fast stores are paused so that every store reaches Unicorn's store helper.
  int memHooks = 0;

 private:
  Napi::Value MemMap(const Napi::CallbackInfo& info);
  Napi::Value MemMapPtr(const Napi::CallbackInfo& info);
  Napi::Value MemUnmap(const Napi::CallbackInfo& info);
  Napi::Value MemProtect(const Napi::CallbackInfo& info);
  Napi::Value MemRegions(const Napi::CallbackInfo& info);
  Napi::Value MemRead(const Napi::CallbackInfo& info);
  Napi::Value MemWrite(const Napi::CallbackInfo& info);
  Napi::Value RegRead(const Napi::CallbackInfo& info);
  Napi::Value RegWrite(const Napi::CallbackInfo& info);
  Napi::Value MsrRead(const Napi::CallbackInfo& info);
  Napi::Value MsrWrite(const Napi::CallbackInfo& info);
  Napi::Value HookAdd(const Napi::CallbackInfo& info);
  Napi::Value HookDel(const Napi::CallbackInfo& info);
  Napi::Value EmuStart(const Napi::CallbackInfo& info);
  Napi::Value EmuStop(const Napi::CallbackInfo& info);
  Napi::Value ContextSave(const Napi::CallbackInfo& info);
  Napi::Value ContextRestore(const Napi::CallbackInfo& info);
  Napi::Value Query(const Napi::CallbackInfo& info);
  Napi::Value CtlRemoveCache(const Napi::CallbackInfo& info);
  Napi::Value CtlFlushTb(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);

  std::vector<std::unique_ptr<BufMap>> bufs_;
  std::unordered_map<uint32_t, std::unique_ptr<JsHook>> hooks_;
  std::vector<std::unique_ptr<JsHook>> deadHooks_;
  uint32_t nextHookId_ = 1;
};

// =============================================================================================
// UnicornContext
// =============================================================================================
class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "UnicornContext", {InstanceMethod<&Context::Free>("free")});
  }
  explicit Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {}
  ~Context() override { Release(); }
  void Release() {
    if (ctx != nullptr) {
      uc_context_free(ctx);
      ctx = nullptr;
    }
    if (eng != nullptr) {
      eng->contexts.erase(this);
      eng = nullptr;
    }
  }
  uc_context* ctx = nullptr;
  Engine* eng = nullptr;

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }
};

// =============================================================================================
// Fast guest stores
// =============================================================================================
// Why every guest store is slow under Unicorn 2.0.1, and what this does about it.
//
// QEMU's TCG stores inline: the generated code compares the page of the address with the TLB
// entry's addr_write and, if equal, writes host memory directly. Any flag in addr_write's low
// bits sends the store to the store helper instead. For RAM, tlb_set_page_with_attrs
// (accel/tcg/cputlb.c) sets TLB_NOTDIRTY on a writable page when
// cpu_physical_memory_is_clean() says the page is clean for DIRTY_MEMORY_CODE, so that the first
// store can invalidate translated code on the page; notdirty_write() then marks the page dirty
// and calls tlb_set_dirty(), which clears the flag, and later stores are inline again.
// Unicorn 2.0.1 stubs the dirty bitmap out (include/exec/ram_addr.h): is_clean() is always
// true and get_dirty_flag() always false. So every writable page gets TLB_NOTDIRTY, the flag is
// never cleared (the disassembly of the installed library shows no tlb_set_dirty call left in
// store_helper), and every store runs store_helper -> memory_mapping() + the protection check
// -> notdirty_write -> page_collection_lock (a GTree, malloc/free) + tb_invalidate_phys_page_fast:
// about 1300 host instructions, ~150-200 ns, instead of a few (callgrind of a store loop).
// There is no API or uc_ctl to change this in 2.0.1. Later Unicorn development clears the flag
// itself on pages without translated code (issues #1970 and #2041) and upstream now sets it
// only on executable pages (PR #2337); where a store leaves no flag, the probe below stays off.
//
// The workaround does what tlb_set_dirty would have done, for the pages where skipping the
// helper cannot change behaviour: pages of a mem_map_ptr mapping that are writable and not
// executable (no translated code can exist for them, and store_helper's protection check would
// pass). At a block start (the TrapCpu's block hook), when the TLB's fill counters moved, the
// new entries of the guest's MMU index (found through the victim TLB, or by scanning the
// table) get TLB_NOTDIRTY cleared if their addr_write is exactly page|TLB_NOTDIRTY, their page
// lies in such a mapping, and their addend points at that mapping's host memory. Whenever protections change or memory is unmapped, the
// flag is first put back on every entry of the range (main and victim TLB), so the next store
// there goes through store_helper and its checks as before; when a range becomes executable,
// its translations are dropped (its stores skipped the invalidation while it was not).
// While JS memory hooks exist on the engine the workaround is paused (flags put back).
//
// The TLB is internal to QEMU, so its layout is found at run time, never assumed: once per
// process a scratch engine maps host buffers, runs one store, and the CPUTLBDescFast {mask,
// table} pair of the MMU index used is found below CPUX86State (env) by the store's entry
// (addr_write = page|flag, addend = host - page, read through process_vm_readv). Clearing the
// flag in that entry must leave later stores landing in the buffer, and two forced evictions
// must move the entries into the victim TLB at the slots that CPUTLBDesc.vindex (which must
// read 1, then 2) says, which locates the fill counters (n_used_entries, vindex) the block hook
// watches. Anything unexpected, an env that was not found, or NBEMU_NO_FAST_STORES in the
// environment: the workaround stays off and stores take Unicorn's path.
namespace faststore {

struct Layout {
  bool ok = false;
  std::string why = "not probed";
  ptrdiff_t fastOff = 0;    // env-relative offset of {mask, table} for the guest's MMU index
  ptrdiff_t vindexOff = 0;  // env-relative offset of that index's CPUTLBDesc.vindex
  unsigned shift = 0;       // log2(sizeof(CPUTLBEntry))
  unsigned writeOff = 0;    // offsetof(CPUTLBEntry, addr_write)
  unsigned addendOff = 0;   // offsetof(CPUTLBEntry, addend)
  uint64_t notDirty = 0;    // TLB_NOTDIRTY
};

const Layout& Get();

}  // namespace faststore

class FastStores {
 public:
  static constexpr uint64_t kPageFlags = 0xfff;
  static constexpr unsigned kVictims = 8;  // CPU_VTLB_SIZE

  // Start on the engine whose CPUX86State is at `env`; false (and off) if the layout is not
  // there.
  bool Attach(Engine* eng, uint64_t* env);
  void Detach() { eng_ = nullptr; active_ = false; }
  bool attached() const { return eng_ != nullptr; }
  bool active() const { return active_; }

  // At a block start: scan when the TLB was filled since the last look.
  void Poll() {
    uint64_t u = used_[0], v = used_[1];
    if (u != lastUsed_ || v != lastVindex_) Filled(u, v);
  }
  // Put TLB_NOTDIRTY back on the clean entries of [begin, end) (main and victim TLB).
  void Rearm(uint64_t begin, uint64_t end);
  void Pause(bool pause) {
    if (!attached()) return;
    if (pause) Rearm(0, ~uint64_t(0));
    active_ = !pause;
  }
  uint64_t cleared = 0, scans = 0;  // counters, for tests and measurements

 private:
  __attribute__((noinline)) void Filled(uint64_t used, uint64_t vindex);
  size_t Scan();
  bool Ours(uint64_t page, uint64_t addend, bool needFast) const;

  Engine* eng_ = nullptr;
  bool active_ = false;
  const faststore::Layout* L_ = nullptr;
  const uint64_t* fast_ = nullptr;  // {mask, table}
  const uint64_t* used_ = nullptr;  // {n_used_entries, vindex}
  uint8_t* victims_ = nullptr;      // vtable[0]
  uint64_t lastUsed_ = ~uint64_t(0), lastVindex_ = ~uint64_t(0);
  unsigned fills_ = 0;
  // Per TLB slot: an addr_write value already found not ours (valid for one regions epoch).
  std::vector<uint64_t> notOurs_;
  uint64_t epoch_ = ~uint64_t(0);
};

// =============================================================================================
// TrapCpu
// =============================================================================================
class TrapCpu : public Napi::ObjectWrap<TrapCpu> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "TrapCpu",
                       {InstanceMethod<&TrapCpu::Run>("run"), InstanceMethod<&TrapCpu::Dispose>("dispose"),
                        InstanceAccessor<&TrapCpu::FastStoresInfo>("fastStores")});
  }
  explicit TrapCpu(const Napi::CallbackInfo& info);
  ~TrapCpu() override { Detach(); }

  // Remove hooks, forget the engine and the watchdog. Idempotent. When the engine is being
  // closed, its hooks go with it: uc_hook_del is skipped, because in 2.0.1 each call walks every
  // cached translation and invalidates it (5% of a short esbuild run was exit's dispose()).
  void Detach(bool engineClosing = false) {
    if (eng != nullptr) {
      if (eng->uc != nullptr && !engineClosing) {
        if (hSys_) uc_hook_del(eng->uc, hSys_);
        if (hFault_) uc_hook_del(eng->uc, hFault_);
        if (hIntr_) uc_hook_del(eng->uc, hIntr_);
        if (hBlock_) uc_hook_del(eng->uc, hBlock_);
      }
      hSys_ = hFault_ = hIntr_ = hBlock_ = 0;
      fs.Detach();
      eng->traps.erase(this);
      eng = nullptr;
    }
    if (!engineRef_.IsEmpty()) engineRef_.Reset();
    if (wd_) {
      if (--wd_->users == 0) wd_->Stop();
      wd_.reset();
    }
  }

  Engine* eng = nullptr;
  uint64_t* rec = nullptr;
  FastStores fs;

  uint32_t RunCore(Napi::Env env, double slice);
  static napi_value RunRaw(napi_env env, napi_callback_info cbinfo);
  static napi_value ResumeRaw(napi_env env, napi_callback_info cbinfo);

  static void SyscallHook(uc_engine* uc, void* ud);
  static bool FaultHook(uc_engine* uc, uc_mem_type type, uint64_t address, int size, int64_t value, void* ud);
  static void IntrHook(uc_engine* uc, uint32_t intno, void* ud);
  static void BlockHook(uc_engine* uc, uint64_t address, uint32_t size, void* ud);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Detach();
    return info.Env().Undefined();
  }
  // { active, cleared, scans } while the workaround is attached, else { active: false, why }.
  Napi::Value FastStoresInfo(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("active", Napi::Boolean::New(info.Env(), fs.active()));
    if (fs.attached()) {
      o.Set("cleared", Napi::Number::New(info.Env(), static_cast<double>(fs.cleared)));
      o.Set("scans", Napi::Number::New(info.Env(), static_cast<double>(fs.scans)));
    } else {
      const faststore::Layout& L = faststore::Get();
      o.Set("why", Napi::String::New(info.Env(), !L.ok ? L.why : env_ == nullptr ? "CPUX86State not found" : eng == nullptr ? "disposed" : "the engine's TLB is not where the probe found it"));
    }
    return o;
  }

  Napi::ObjectReference engineRef_;
  Napi::Reference<Napi::ArrayBuffer> recordRef_;
  std::shared_ptr<Watchdog> wd_;
  uc_hook hSys_ = 0, hFault_ = 0, hIntr_ = 0, hBlock_ = 0;
  // The watchdog's state word: kFired means the slice is over; the block hook stops on it.
  const std::atomic<uint64_t>* expired_ = nullptr;
  void* sysPtrs_[9] = {};
  // The engine's CPUX86State (regs[16], eip, eflags), found and verified by LocateX86Env, or
  // nullptr: then registers go through uc_reg_*_batch. See the comment at LocateX86Env.
  uint64_t* env_ = nullptr;
};

const int kSysRegs[9] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX, UC_X86_REG_R10,
                         UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_RSP, UC_X86_REG_RIP};

// ---- Engine implementation --------------------------------------------------------------------
Napi::Function Engine::Init(Napi::Env env) {
  return DefineClass(env, "Unicorn",
                     {
                         InstanceMethod<&Engine::MemMap>("mem_map"),
                         InstanceMethod<&Engine::MemMapPtr>("mem_map_ptr"),
                         InstanceMethod<&Engine::MemUnmap>("mem_unmap"),
                         InstanceMethod<&Engine::MemProtect>("mem_protect"),
                         InstanceMethod<&Engine::MemRegions>("mem_regions"),
                         InstanceMethod<&Engine::MemRead>("mem_read"),
                         InstanceMethod<&Engine::MemWrite>("mem_write"),
                         InstanceMethod<&Engine::RegRead>("reg_read"),
                         InstanceMethod<&Engine::RegWrite>("reg_write"),
                         InstanceMethod<&Engine::MsrRead>("msr_read"),
                         InstanceMethod<&Engine::MsrWrite>("msr_write"),
                         InstanceMethod<&Engine::HookAdd>("hook_add"),
                         InstanceMethod<&Engine::HookDel>("hook_del"),
                         InstanceMethod<&Engine::EmuStart>("emu_start"),
                         InstanceMethod<&Engine::EmuStop>("emu_stop"),
                         InstanceMethod<&Engine::ContextSave>("context_save"),
                         InstanceMethod<&Engine::ContextRestore>("context_restore"),
                         InstanceMethod<&Engine::Query>("query"),
                         InstanceMethod<&Engine::CtlRemoveCache>("ctl_remove_cache"),
                         InstanceMethod<&Engine::CtlFlushTb>("ctl_flush_tb"),
                         InstanceMethod<&Engine::Close>("close"),
                         InstanceAccessor<&Engine::IsClosed>("closed"),
                     });
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  Napi::Env env = info.Env();
  arch = ToInt(env, info[0], "arch");
  mode = ToInt(env, info[1], "mode");
  uc_engine* e = nullptr;
  uc_err err = uc_open(static_cast<uc_arch>(arch), static_cast<uc_mode>(mode), &e);
  if (err != UC_ERR_OK) ThrowUc(env, err, "uc_open");
  uc = e;
}

void Engine::DoClose() {
  closePending = false;
  if (uc == nullptr) return;
  // TrapCpus and contexts refer to this engine: detach them first.
  while (!traps.empty()) (*traps.begin())->Detach(true);
  while (!contexts.empty()) (*contexts.begin())->Release();
  uc_close(uc);
  uc = nullptr;
  for (auto& kv : hooks_) kv.second->dead = true;
  hooks_.clear();
  deadHooks_.clear();
  bufs_.clear();  // the engine no longer points into these buffers
  // `pending` is kept: a hook may close() and then throw; emu_start still rethrows it.
}

void Engine::RegionSplitAt(uint64_t at) {
  auto it = ptrRegions.upper_bound(at);
  if (it == ptrRegions.begin()) return;
  --it;
  if (it->first == at || it->second.end <= at) return;
  PtrRegion tail{it->second.end, it->second.perms, it->second.host + (at - it->first)};
  it->second.end = at;
  ptrRegions.emplace(at, tail);
}

void Engine::RearmFastStores(uint64_t begin, uint64_t end) {
  for (TrapCpu* t : traps) t->fs.Rearm(begin, end);
}

void Engine::PauseFastStores(bool pause) {
  for (TrapCpu* t : traps) t->fs.Pause(pause);
}

Napi::Value Engine::MemMap(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint64_t size = ToU64(env, info[1], "size");
  int perms = ToInt(env, info[2], "perms");
  Check(env, uc_mem_map(uc, addr, static_cast<size_t>(size), static_cast<uint32_t>(perms)), "uc_mem_map");
  return env.Undefined();
}

Napi::Value Engine::MemMapPtr(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint64_t size = ToU64(env, info[1], "size");
  int perms = ToInt(env, info[2], "perms");
  // An ArrayBuffer, or a Uint8Array view of one: then the mapping starts at the view's offset
  // (two engines can map the same part of one buffer, e.g. memory shared across fork).
  Napi::ArrayBuffer ab;
  size_t offset = 0, avail = 0;
  if (info[3].IsArrayBuffer()) {
    ab = info[3].As<Napi::ArrayBuffer>();
    avail = ab.ByteLength();
  } else if (info[3].IsTypedArray() && info[3].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto view = info[3].As<Napi::Uint8Array>();
    ab = view.ArrayBuffer();
    offset = view.ByteOffset();
    avail = view.ByteLength();
  } else {
    ThrowUc(env, UC_ERR_ARG, "mem_map_ptr: buffer must be an ArrayBuffer or a Uint8Array");
  }
  if (avail < size) ThrowUc(env, UC_ERR_ARG, "mem_map_ptr: buffer is smaller than size");
  if (size == 0 || ab.Data() == nullptr) ThrowUc(env, UC_ERR_ARG, "mem_map_ptr: empty mapping");
  void* host = static_cast<uint8_t*>(ab.Data()) + offset;
  Check(env, uc_mem_map_ptr(uc, addr, static_cast<size_t>(size), static_cast<uint32_t>(perms), host), "uc_mem_map_ptr");
  auto bm = std::make_unique<BufMap>();
  bm->ref = Napi::Persistent(ab);
  bm->live.emplace_back(addr, addr + size);
  bufs_.push_back(std::move(bm));
  ptrRegions[addr] = PtrRegion{addr + size, static_cast<uint32_t>(perms), reinterpret_cast<uintptr_t>(host)};
  regionsEpoch++;
  return env.Undefined();
}

Napi::Value Engine::MemUnmap(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint64_t size = ToU64(env, info[1], "size");
  RearmFastStores(addr, addr + size);
  Check(env, uc_mem_unmap(uc, addr, static_cast<size_t>(size)), "uc_mem_unmap");
  RegionSplitAt(addr);
  RegionSplitAt(addr + size);
  ptrRegions.erase(ptrRegions.lower_bound(addr), ptrRegions.lower_bound(addr + size));
  regionsEpoch++;
  // Drop our reference to a buffer once none of its range is mapped any more.
  uint64_t end = addr + size;
  for (auto it = bufs_.begin(); it != bufs_.end();) {
    auto& live = (*it)->live;
    std::vector<std::pair<uint64_t, uint64_t>> next;
    for (auto& r : live) {
      if (r.second <= addr || r.first >= end) {
        next.push_back(r);
        continue;
      }
      if (r.first < addr) next.emplace_back(r.first, addr);
      if (r.second > end) next.emplace_back(end, r.second);
    }
    live.swap(next);
    if (live.empty())
      it = bufs_.erase(it);
    else
      ++it;
  }
  return env.Undefined();
}

Napi::Value Engine::MemProtect(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint64_t size = ToU64(env, info[1], "size");
  int perms = ToInt(env, info[2], "perms");
  RearmFastStores(addr, addr + size);
  Check(env, uc_mem_protect(uc, addr, static_cast<size_t>(size), static_cast<uint32_t>(perms)), "uc_mem_protect");
  RegionSplitAt(addr);
  RegionSplitAt(addr + size);
  bool nowExec = false;
  for (auto it = ptrRegions.lower_bound(addr); it != ptrRegions.end() && it->first < addr + size; ++it) {
    if ((perms & UC_PROT_EXEC) && !(it->second.perms & UC_PROT_EXEC)) nowExec = true;
    it->second.perms = static_cast<uint32_t>(perms);
  }
  regionsEpoch++;
  // Stores to a page that was not executable may have skipped Unicorn's code invalidation
  // (FastStores): translations made before it lost EXEC must not run again.
  if (nowExec && !running) {
    bool fast = false;
    for (TrapCpu* t : traps) fast = fast || t->fs.attached();
    if (fast) uc_ctl_remove_cache(uc, addr, addr + size);
  }
  return env.Undefined();
}

Napi::Value Engine::MemRegions(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uc_mem_region* regions = nullptr;
  uint32_t count = 0;
  Check(env, uc_mem_regions(uc, &regions, &count), "uc_mem_regions");
  Napi::Array out = Napi::Array::New(env, count);
  try {
    for (uint32_t i = 0; i < count; i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("begin", Napi::BigInt::New(env, static_cast<uint64_t>(regions[i].begin)));
      o.Set("end", Napi::BigInt::New(env, static_cast<uint64_t>(regions[i].end)));
      o.Set("perms", Napi::Number::New(env, regions[i].perms));
      out.Set(i, o);
    }
  } catch (...) {
    uc_free(regions);
    throw;
  }
  uc_free(regions);
  return out;
}

Napi::Value Engine::MemRead(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint64_t size = ToU64(env, info[1], "size");
  if (size == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  if (size > 0x10000) {
    // Large read: check the whole range is mapped before allocating anything.
    uc_mem_region* regions = nullptr;
    uint32_t count = 0;
    Check(env, uc_mem_regions(uc, &regions, &count), "uc_mem_regions");
    uint64_t cur = addr;
    uint64_t last = addr + size - 1;
    bool ok = last >= addr;  // no wrap-around
    while (ok) {
      const uc_mem_region* hit = nullptr;
      for (uint32_t i = 0; i < count && hit == nullptr; i++)
        if (regions[i].begin <= cur && cur <= regions[i].end) hit = &regions[i];
      if (hit == nullptr) {
        ok = false;
      } else if (hit->end >= last) {
        break;  // the whole range is mapped
      } else {
        cur = hit->end + 1;
      }
    }
    uc_free(regions);
    if (!ok) ThrowUc(env, UC_ERR_READ_UNMAPPED, "uc_mem_read");
  }
  napi_value buf;
  void* data = nullptr;
  if (size > SIZE_MAX || napi_create_buffer(env, static_cast<size_t>(size), &data, &buf) != napi_ok) {
    napi_value ignored;
    bool pendingExc = false;
    napi_is_exception_pending(env, &pendingExc);
    if (pendingExc) napi_get_and_clear_last_exception(env, &ignored);
    ThrowUc(env, UC_ERR_NOMEM, "mem_read: cannot allocate " + std::to_string(size) + " bytes");
  }
  Check(env, uc_mem_read(uc, addr, data, static_cast<size_t>(size)), "uc_mem_read");
  return Napi::Value(env, buf);
}

Napi::Value Engine::MemWrite(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint64_t addr = ToU64(env, info[0], "address");
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!BytesOf(info[1], &data, &len)) ThrowUc(env, UC_ERR_ARG, "mem_write: data must be a Uint8Array/ArrayBuffer");
  if (len == 0) return env.Undefined();
  Check(env, uc_mem_write(uc, addr, data, len), "uc_mem_write");
  return env.Undefined();
}

Napi::Value Engine::RegRead(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  int reg = ToInt(env, info[0], "reg");
  int bytes = 8;
  RegKind kind = arch == UC_ARCH_X86 ? X86RegKind(reg, &bytes) : REG_SCALAR;
  if (kind == REG_UNSUPPORTED)
    ThrowUc(env, UC_ERR_ARG, "reg_read: register " + std::to_string(reg) + " is not supported here (use msr_read for MSRs)");
  alignas(16) uint64_t buf[16] = {0};  // 128 bytes: larger than any register Unicorn writes
  Check(env, uc_reg_read(uc, reg, buf), "uc_reg_read");
  if (kind == REG_WIDE) {
    size_t words = (static_cast<size_t>(bytes) + 7) / 8;
    if (bytes % 8) buf[words - 1] &= (uint64_t(1) << ((bytes % 8) * 8)) - 1;
    return Napi::BigInt::New(env, 0, words, buf);
  }
  return Napi::BigInt::New(env, buf[0]);
}

Napi::Value Engine::RegWrite(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  int reg = ToInt(env, info[0], "reg");
  int bytes = 8;
  RegKind kind = arch == UC_ARCH_X86 ? X86RegKind(reg, &bytes) : REG_SCALAR;
  if (kind == REG_UNSUPPORTED)
    ThrowUc(env, UC_ERR_ARG, "reg_write: register " + std::to_string(reg) + " is not supported here (use msr_write for MSRs)");
  alignas(16) uint64_t buf[16] = {0};
  if (kind == REG_WIDE && info[1].IsBigInt()) {
    auto bi = info[1].As<Napi::BigInt>();
    int sign = 0;
    size_t words = bi.WordCount();
    if (words > (static_cast<size_t>(bytes) + 7) / 8) ThrowUc(env, UC_ERR_ARG, "reg_write: value too wide");
    bi.ToWords(&sign, &words, buf);
    if (sign) ThrowUc(env, UC_ERR_ARG, "reg_write: negative value for a vector register");
  } else {
    buf[0] = ToRegValue(env, info[1]);
  }
  Check(env, uc_reg_write(uc, reg, buf), "uc_reg_write");
  return env.Undefined();
}

Napi::Value Engine::MsrRead(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  if (arch != UC_ARCH_X86) ThrowUc(env, UC_ERR_ARCH, "msr_read");
  uc_x86_msr msr;
  msr.rid = static_cast<uint32_t>(ToInt(env, info[0], "msr"));
  msr.value = 0;
  Check(env, uc_reg_read(uc, UC_X86_REG_MSR, &msr), "uc_reg_read(MSR)");
  return Napi::BigInt::New(env, static_cast<uint64_t>(msr.value));
}

Napi::Value Engine::MsrWrite(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  if (arch != UC_ARCH_X86) ThrowUc(env, UC_ERR_ARCH, "msr_write");
  uc_x86_msr msr;
  msr.rid = static_cast<uint32_t>(ToInt(env, info[0], "msr"));
  msr.value = ToRegValue(env, info[1]);
  Check(env, uc_reg_write(uc, UC_X86_REG_MSR, &msr), "uc_reg_write(MSR)");
  return env.Undefined();
}

// ---- JS hook trampolines ----------------------------------------------------------------------
// Each runs on the JS thread inside uc_emu_start. A JS exception is parked in Engine::pending,
// the engine is stopped, and emu_start/run rethrows it. Nothing may escape into Unicorn.
template <typename F>
Napi::Value CallJs(JsHook* hk, F&& makeArgs) {
  Engine* e = hk->eng;
  if (hk->dead || e == nullptr || !e->running || e->pending) return Napi::Value();
  Napi::Env env = e->Env();
  try {
    std::vector<napi_value> args;
    args.reserve(6);
    args.push_back(e->Value());
    makeArgs(env, args);
    return hk->cb.Call(e->Value(), args);
  } catch (Napi::Error& err) {
    e->SetPending(std::move(err));
  } catch (const std::exception& ex) {
    e->SetPending(Napi::Error::New(env, std::string("nbemu hook: ") + ex.what()));
  } catch (...) {
    e->SetPending(Napi::Error::New(env, "nbemu hook: unknown native exception"));
  }
  return Napi::Value();
}

// Wraps a trampoline body in a handle scope and a catch-all.
template <typename F>
auto Guard(JsHook* hk, F&& body) -> decltype(body()) {
  using R = decltype(body());
  try {
    Napi::HandleScope scope(hk->eng->Env());
    return body();
  } catch (...) {
    if (hk->eng && hk->eng->uc) uc_emu_stop(hk->eng->uc);
    return R();
  }
}

void CodeTramp(uc_engine*, uint64_t address, uint32_t size, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  Guard(hk, [&] {
    CallJs(hk, [&](Napi::Env env, std::vector<napi_value>& a) {
      a.push_back(Napi::BigInt::New(env, address));
      a.push_back(Napi::Number::New(env, size));
    });
  });
}

bool MemTramp(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t value, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  return Guard(hk, [&]() -> bool {
    uint64_t v = static_cast<uint64_t>(value);
    if (size > 0 && size < 8) v &= (uint64_t(1) << (size * 8)) - 1;
    Napi::Value r = CallJs(hk, [&](Napi::Env env, std::vector<napi_value>& a) {
      a.push_back(Napi::Number::New(env, type));
      a.push_back(Napi::BigInt::New(env, address));
      a.push_back(Napi::Number::New(env, size));
      a.push_back(Napi::BigInt::New(env, v));
    });
    if (r.IsEmpty()) return false;
    return r.ToBoolean().Value();
  });
}

void MemValidTramp(uc_engine* uc, uc_mem_type type, uint64_t address, int size, int64_t value, void* ud) {
  MemTramp(uc, type, address, size, value, ud);
}

void IntrTramp(uc_engine*, uint32_t intno, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  Guard(hk, [&] {
    CallJs(hk, [&](Napi::Env env, std::vector<napi_value>& a) { a.push_back(Napi::Number::New(env, intno)); });
  });
}

void SyscallTramp(uc_engine*, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  Guard(hk, [&] { CallJs(hk, [](Napi::Env, std::vector<napi_value>&) {}); });
}

int CpuidTramp(uc_engine*, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  return Guard(hk, [&]() -> int {
    Napi::Value r = CallJs(hk, [](Napi::Env, std::vector<napi_value>&) {});
    return (!r.IsEmpty() && r.ToBoolean().Value()) ? 1 : 0;
  });
}

uint32_t InTramp(uc_engine*, uint32_t port, int size, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  return Guard(hk, [&]() -> uint32_t {
    Napi::Value r = CallJs(hk, [&](Napi::Env env, std::vector<napi_value>& a) {
      a.push_back(Napi::Number::New(env, port));
      a.push_back(Napi::Number::New(env, size));
    });
    if (r.IsEmpty() || !r.IsNumber()) return 0;
    return r.As<Napi::Number>().Uint32Value();
  });
}

void OutTramp(uc_engine*, uint32_t port, int size, uint32_t value, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  Guard(hk, [&] {
    CallJs(hk, [&](Napi::Env env, std::vector<napi_value>& a) {
      a.push_back(Napi::Number::New(env, port));
      a.push_back(Napi::Number::New(env, size));
      a.push_back(Napi::Number::New(env, value));
    });
  });
}

bool InsnInvalidTramp(uc_engine*, void* ud) {
  auto* hk = static_cast<JsHook*>(ud);
  return Guard(hk, [&]() -> bool {
    Napi::Value r = CallJs(hk, [](Napi::Env, std::vector<napi_value>&) {});
    return !r.IsEmpty() && r.ToBoolean().Value();
  });
}

constexpr int kMemInvalidBits = UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT;
constexpr int kMemValidBits = UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE | UC_HOOK_MEM_FETCH | UC_HOOK_MEM_READ_AFTER;

void Engine::DropTranslations(uint64_t begin, uint64_t end) {
  uc_mem_region* regions = nullptr;
  uint32_t count = 0;
  if (uc_mem_regions(uc, &regions, &count) != UC_ERR_OK) return;
  for (uint32_t i = 0; i < count; i++) {
    if (!(regions[i].perms & UC_PROT_EXEC)) continue;
    uint64_t lo = regions[i].begin, hi = regions[i].end;  // inclusive
    if (begin <= end) {  // bounded hook: intersect
      if (hi < begin || lo > end) continue;
      if (lo < begin) lo = begin;
      if (hi > end) hi = end;
    }
    // Instructions may start up to 15 bytes before the range and still overlap it (but the
    // start must stay mapped: Unicorn translates it to a physical address and gives up if not).
    uint64_t from = lo - regions[i].begin >= 16 ? lo - 16 : regions[i].begin;
    uint64_t to = hi == ~uint64_t(0) ? hi : hi + 1;
    uc_ctl_remove_cache(uc, from, to);
  }
  uc_free(regions);
}

Napi::Value Engine::HookAdd(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  int type = ToInt(env, info[0], "type");
  if (!info[1].IsFunction()) ThrowUc(env, UC_ERR_ARG, "hook_add: callback must be a function");
  uint64_t begin = ToU64Or(env, info[2], 1, "begin");
  uint64_t end = ToU64Or(env, info[3], 0, "end");
  auto hk = std::make_unique<JsHook>();
  hk->eng = this;
  hk->type = type;
  hk->cb = Napi::Persistent(info[1].As<Napi::Function>());
  void* fn = nullptr;
  uc_err err;
  if (type == UC_HOOK_INSN) {
    if (arch != UC_ARCH_X86) ThrowUc(env, UC_ERR_HOOK, "hook_add: UC_HOOK_INSN is only supported for x86 here");
    hk->insn = ToInt(env, info[4], "instruction id");
    switch (hk->insn) {
      case UC_X86_INS_SYSCALL:
      case UC_X86_INS_SYSENTER: fn = reinterpret_cast<void*>(&SyscallTramp); break;
      case UC_X86_INS_IN: fn = reinterpret_cast<void*>(&InTramp); break;
      case UC_X86_INS_OUT: fn = reinterpret_cast<void*>(&OutTramp); break;
      case UC_X86_INS_CPUID: fn = reinterpret_cast<void*>(&CpuidTramp); break;
      default: ThrowUc(env, UC_ERR_HOOK, "hook_add: unsupported instruction id " + std::to_string(hk->insn));
    }
    err = uc_hook_add(uc, &hk->h, type, fn, hk.get(), begin, end, hk->insn);
  } else {
    if (type == UC_HOOK_INTR) {
      fn = reinterpret_cast<void*>(&IntrTramp);
    } else if ((type & ~(UC_HOOK_CODE | UC_HOOK_BLOCK)) == 0 && type != 0) {
      fn = reinterpret_cast<void*>(&CodeTramp);
    } else if (type == UC_HOOK_INSN_INVALID) {
      fn = reinterpret_cast<void*>(&InsnInvalidTramp);
    } else if ((type & ~(kMemInvalidBits | kMemValidBits)) == 0 && type != 0) {
      // Invalid-access hooks must return a bool; valid-access hooks return void. With both
      // kinds in one mask, the bool-returning trampoline is used (ABI-compatible on x86-64).
      fn = (type & kMemInvalidBits) ? reinterpret_cast<void*>(&MemTramp) : reinterpret_cast<void*>(&MemValidTramp);
    } else {
      ThrowUc(env, UC_ERR_HOOK, "hook_add: unsupported hook type " + std::to_string(type));
    }
    err = uc_hook_add(uc, &hk->h, type, fn, hk.get(), begin, end);
  }
  Check(env, err, "uc_hook_add");
  if (type & kMemValidBits) {
    if (memHooks++ == 0) PauseFastStores(true);
  }
  // Unicorn decides at translation time whether a block calls code/block/memory hooks, and
  // keeps translated blocks across emu_start calls: without a flush, a hook added after the
  // code already ran would silently never fire. (Not done from inside a hook.)
  // A full TB flush costs ~200 ms in 2.0.1, so only the executable ranges the hook covers are
  // invalidated.
  if (!running && (type & (UC_HOOK_CODE | UC_HOOK_BLOCK | kMemValidBits | kMemInvalidBits)))
    DropTranslations(begin, end);
  uint32_t id = nextHookId_++;
  if (nextHookId_ == 0) nextHookId_ = 1;
  hooks_[id] = std::move(hk);
  return Napi::Number::New(env, id);
}

Napi::Value Engine::HookDel(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  uint32_t id = static_cast<uint32_t>(ToInt(env, info[0], "hook handle"));
  auto it = hooks_.find(id);
  if (it == hooks_.end()) ThrowUc(env, UC_ERR_ARG, "hook_del: unknown hook handle " + std::to_string(id));
  Check(env, uc_hook_del(uc, it->second->h), "uc_hook_del");
  it->second->dead = true;
  if ((it->second->type & kMemValidBits) && --memHooks == 0) PauseFastStores(false);
  if (running)
    deadHooks_.push_back(std::move(it->second));  // may be the hook currently executing
  hooks_.erase(it);
  return env.Undefined();
}

Napi::Value Engine::EmuStart(const Napi::CallbackInfo& info) {
  CheckIdle("emu_start");
  Napi::Env env = info.Env();
  uint64_t begin = ToU64(env, info[0], "begin");
  uint64_t until = ToU64(env, info[1], "until");
  uint64_t timeout = ToU64Or(env, info[2], 0, "timeout");
  uint64_t count = ToU64Or(env, info[3], 0, "count");
  pending.reset();
  SetExitsMode(false);
  running = true;
  uc_err err = uc_emu_start(uc, begin, until, timeout, static_cast<size_t>(count));
  running = false;
  AfterRun();
  RethrowPending();
  if (err != UC_ERR_OK) ThrowUc(env, err, "uc_emu_start");
  return env.Undefined();
}

Napi::Value Engine::EmuStop(const Napi::CallbackInfo& info) {
  CheckOpen();
  Check(info.Env(), uc_emu_stop(uc), "uc_emu_stop");
  return info.Env().Undefined();
}

Napi::Value Engine::ContextSave(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  AddonData* ad = Data(env);
  Context* c = nullptr;
  Napi::Object obj;
  if (info.Length() > 0 && info[0].IsObject() && info[0].As<Napi::Object>().InstanceOf(ad->contextCtor.Value())) {
    obj = info[0].As<Napi::Object>();  // save into an existing context (no allocation)
    c = Context::Unwrap(obj);
    if (c->ctx == nullptr || c->eng != this) ThrowUc(env, UC_ERR_ARG, "context_save: context is freed or belongs to another engine");
  } else {
    obj = ad->contextCtor.New({});
    c = Context::Unwrap(obj);
    uc_context* ctx = nullptr;
    Check(env, uc_context_alloc(uc, &ctx), "uc_context_alloc");
    c->ctx = ctx;
    c->eng = this;
    contexts.insert(c);
  }
  Check(env, uc_context_save(uc, c->ctx), "uc_context_save");
  return obj;
}

Napi::Value Engine::ContextRestore(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  AddonData* ad = Data(env);
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(ad->contextCtor.Value()))
    ThrowUc(env, UC_ERR_ARG, "context_restore: not a UnicornContext");
  Context* c = Context::Unwrap(info[0].As<Napi::Object>());
  if (c->ctx == nullptr || c->eng != this) ThrowUc(env, UC_ERR_ARG, "context_restore: context is freed or belongs to another engine");
  Check(env, uc_context_restore(uc, c->ctx), "uc_context_restore");
  return env.Undefined();
}

Napi::Value Engine::Query(const Napi::CallbackInfo& info) {
  CheckOpen();
  Napi::Env env = info.Env();
  size_t result = 0;
  Check(env, uc_query(uc, static_cast<uc_query_type>(ToInt(env, info[0], "query type")), &result), "uc_query");
  return Napi::Number::New(env, static_cast<double>(result));
}

// Translated code is cached: after rewriting code bytes that already ran (uc_mem_write does not
// invalidate translations, nor do writes through a mem_map_ptr buffer), drop the cached blocks.
Napi::Value Engine::CtlRemoveCache(const Napi::CallbackInfo& info) {
  CheckIdle("ctl_remove_cache");
  Napi::Env env = info.Env();
  uint64_t begin = ToU64(env, info[0], "begin");
  uint64_t end = ToU64(env, info[1], "end");
  Check(env, uc_ctl_remove_cache(uc, begin, end), "uc_ctl_remove_cache");
  return env.Undefined();
}

Napi::Value Engine::CtlFlushTb(const Napi::CallbackInfo& info) {
  CheckIdle("ctl_flush_tb");
  Napi::Env env = info.Env();
  // (2.0.x names this macro uc_ctl_flush_tlb, 2.1 uc_ctl_flush_tb: use the control directly.)
  Check(env, uc_ctl(uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0)), "uc_ctl(UC_CTL_TB_FLUSH)");
  return env.Undefined();
}

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  if (uc != nullptr) {
    if (running) {
      closePending = true;  // finish once uc_emu_start has returned
      uc_emu_stop(uc);
    } else {
      DoClose();
    }
  }
  return info.Env().Undefined();
}

Napi::Value Engine::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), uc == nullptr || closePending);
}

// ---- direct register access ---------------------------------------------------------------
// Unicorn 2.0.x/2.1.x register access is slow for what the trap path needs: every uc_reg_read
// of one GPR walks a chain of switches (~50 instructions), a write ~80, and reading EFLAGS
// recomputes the lazy condition codes. The syscall hook reads 9 registers and each run() writes
// 3, which was ~900 of the ~1400 instructions of a null syscall (callgrind).
//
// Both versions keep the guest registers at the start of QEMU's CPUX86State:
//   uint64_t regs[16] (RAX RCX RDX RBX RSP RBP RSI RDI R8..R15), eip, eflags
// and uc_reg_read/uc_reg_write of those registers are plain loads/stores of these fields (RIP
// inside a syscall hook is env->eip = the syscall's address; between runs x86_cpu_exec_exit has
// stored the full architectural flags in env->eflags, and x86_cpu_exec_enter reloads the
// condition codes from env->eflags on the next run). The struct is internal, so it is found by
// its contents, never by a hard-coded offset: the engine's registers are set to distinctive
// values, the pointers reachable from the uc handle (uc->cpu, then cpu->env_ptr) are searched
// for memory holding exactly those values, read with process_vm_readv so a wrong guess can
// never fault, and the hit is then checked live (new values written through the API must
// appear there; an EFLAGS write must land in env->eflags). Any doubt, or a platform without
// process_vm_readv: nullptr, and the API path is used. The registers are restored afterwards.
namespace envscan {

bool SafeRead(uintptr_t addr, void* out, size_t n) {
#if defined(__linux__)
  struct iovec local = {out, n};
  struct iovec remote = {reinterpret_cast<void*>(addr), n};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
#else
  (void)addr;
  (void)out;
  (void)n;
  return false;
#endif
}

bool Plausible(uint64_t p) { return p >= 0x10000 && p < (uint64_t(1) << 47) && (p & 7) == 0; }

constexpr int kRegs = 17;  // 16 GPRs + RIP, in CPUX86State order
const int kEnvOrder[kRegs] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP,
                              UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,
                              UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
                              UC_X86_REG_R15, UC_X86_REG_RIP};

bool WriteAll(uc_engine* uc, const uint64_t* vals) {
  void* ptrs[kRegs];
  for (int i = 0; i < kRegs; i++) ptrs[i] = const_cast<uint64_t*>(&vals[i]);
  return uc_reg_write_batch(uc, const_cast<int*>(kEnvOrder), ptrs, kRegs) == UC_ERR_OK;
}

bool Holds(uintptr_t env, const uint64_t* vals) {
  uint64_t buf[kRegs];
  return SafeRead(env, buf, sizeof buf) && std::memcmp(buf, vals, sizeof buf) == 0;
}

// Offsets that worked for an earlier engine (same library, same layout): tried first.
ptrdiff_t gUcToCpu = -1, gCpuToEnv = -1;

uintptr_t Search(uintptr_t ucp, const uint64_t* magic) {
  if (gUcToCpu >= 0) {
    uint64_t cpu = 0, env = 0;
    if (SafeRead(ucp + gUcToCpu, &cpu, 8) && Plausible(cpu) && SafeRead(cpu + gCpuToEnv, &env, 8) &&
        Plausible(env) && Holds(env, magic))
      return env;
  }
  constexpr size_t kUcScan = 16384, kCpuScan = 4096;
  std::vector<uint64_t> ucw(kUcScan / 8), cpuw(kCpuScan / 8);
  for (size_t off = 0; off < kUcScan; off += 8) {
    if (off % 4096 == 0 && !SafeRead(ucp + off, &ucw[off / 8], std::min<size_t>(4096, kUcScan - off))) break;
    uint64_t cpu = ucw[off / 8];
    if (!Plausible(cpu)) continue;
    size_t got = kCpuScan;
    while (got >= 64 && !SafeRead(cpu, cpuw.data(), got)) got /= 2;
    if (got < 64) continue;
    for (size_t j = 0; j < got / 8; j++) {
      uint64_t env = cpuw[j];
      // env lives inside the X86CPU object, after the CPUState (with its 32 KiB jump cache).
      if (!Plausible(env) || env <= cpu || env - cpu > (uint64_t(1) << 20)) continue;
      if (Holds(env, magic)) {
        gUcToCpu = static_cast<ptrdiff_t>(off);
        gCpuToEnv = static_cast<ptrdiff_t>(j * 8);
        return env;
      }
    }
  }
  return 0;
}

uint64_t* LocateX86Env(uc_engine* uc) {
  if (std::getenv("NBEMU_NO_DIRECT_REGS") != nullptr) return nullptr;
  uint64_t saved[kRegs + 1];
  void* sp[kRegs + 1];
  int order[kRegs + 1];
  for (int i = 0; i < kRegs; i++) order[i] = kEnvOrder[i];
  order[kRegs] = UC_X86_REG_EFLAGS;
  for (int i = 0; i <= kRegs; i++) sp[i] = &saved[i];
  if (uc_reg_read_batch(uc, order, sp, kRegs + 1) != UC_ERR_OK) return nullptr;

  uint64_t magic[kRegs];
  uint64_t seed = 0x6e62656d75f00d00ull ^ reinterpret_cast<uintptr_t>(&magic);
  for (int i = 0; i < kRegs; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    magic[i] = seed ^ (uint64_t(i) << 56);
  }
  uintptr_t env = 0;
  if (WriteAll(uc, magic)) env = Search(reinterpret_cast<uintptr_t>(uc), magic);
  if (env != 0) {
    // Live check: values written through the API appear there, and EFLAGS lands at index 17.
    for (int i = 0; i < kRegs; i++) magic[i] = ~magic[i] + uint64_t(i);
    uint64_t fl = 0;
    bool ok = WriteAll(uc, magic) && Holds(env, magic);
    const uint64_t probes[2] = {0x2d7, 0x202};  // CF PF AF ZF SF set, then clear
    for (uint64_t v : probes) {
      ok = ok && uc_reg_write(uc, UC_X86_REG_EFLAGS, &v) == UC_ERR_OK && SafeRead(env + 8 * kRegs, &fl, 8) && fl == v;
    }
    if (!ok) env = 0;
  }
  // Restore what the engine held (RIP last written = the saved one).
  WriteAll(uc, saved);
  uc_reg_write(uc, UC_X86_REG_EFLAGS, &saved[kRegs]);
  if (env != 0 && !Holds(env, saved)) env = 0;
  return reinterpret_cast<uint64_t*>(env);
}

}  // namespace envscan

// ---- fast stores: the probe and the scan ----------------------------------------------------
namespace faststore {

namespace {

Layout Fail(Layout L, const char* why) {
  L.ok = false;
  L.why = why;
  return L;
}

// Slots of a TLB entry (read safely at `at`, 1 << shift bytes) that hold `page`|one flag bit
// (addr_write) and host - page (addend); -1 unless exactly one slot matches each.
void FindSlots(const uint64_t* ent, size_t words, uint64_t page, uintptr_t host, int* w, int* a) {
  int nw = 0, na = 0;
  *w = *a = -1;
  for (size_t j = 0; j < words; j++) {
    uint64_t fl = ent[j] ^ page;
    if ((ent[j] & ~FastStores::kPageFlags) == page && fl != 0 && (fl & (fl - 1)) == 0) {
      *w = static_cast<int>(j);
      nw++;
    }
    if (ent[j] + page == host) {
      *a = static_cast<int>(j);
      na++;
    }
  }
  if (nw != 1) *w = -1;
  if (na != 1) *a = -1;
}

Layout Probe() {
  Layout L;
#if !defined(__linux__)
  return Fail(L, "needs process_vm_readv (Linux)");
#else
  if (std::getenv("NBEMU_NO_FAST_STORES") != nullptr) return Fail(L, "NBEMU_NO_FAST_STORES is set");
  constexpr uint64_t kPage = 4096, kCode = 0x100000, kData = 0x10000000;
  constexpr uint64_t kMaxEntries = 4096;  // TLB sizes recognised (the default is 256)
  const size_t dataLen = (2 * kMaxEntries + 16) * kPage;
  void* code = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* data = mmap(nullptr, dataLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  uc_engine* uc = nullptr;
  struct Cleanup {
    void*& code;
    void*& data;
    size_t len;
    uc_engine*& uc;
    ~Cleanup() {
      if (uc != nullptr) uc_close(uc);
      if (code != MAP_FAILED && code != nullptr) munmap(code, 4096);
      if (data != MAP_FAILED && data != nullptr) munmap(data, len);
    }
  } cleanup{code, data, dataLen, uc};
  if (code == MAP_FAILED || data == MAP_FAILED) return Fail(L, "mmap failed");
  static const uint8_t kStore[] = {0x48, 0x89, 0x07};  // mov [rdi], rax
  std::memcpy(code, kStore, sizeof kStore);
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) return Fail(L, "uc_open failed");
  if (uc_mem_map_ptr(uc, kCode, kPage, UC_PROT_ALL, code) != UC_ERR_OK ||
      uc_mem_map_ptr(uc, kData, dataLen, UC_PROT_READ | UC_PROT_WRITE, data) != UC_ERR_OK)
    return Fail(L, "uc_mem_map_ptr failed");
  uint64_t* env = envscan::LocateX86Env(uc);
  if (env == nullptr) return Fail(L, "CPUX86State not found");
  const uintptr_t envb = reinterpret_cast<uintptr_t>(env);
  auto hostOf = [&](uint64_t a) { return reinterpret_cast<uintptr_t>(data) + (a - kData); };
  auto store = [&](uint64_t addr, uint64_t val) {
    if (uc_reg_write(uc, UC_X86_REG_RDI, &addr) != UC_ERR_OK || uc_reg_write(uc, UC_X86_REG_RAX, &val) != UC_ERR_OK ||
        uc_emu_start(uc, kCode, kCode + sizeof kStore, 0, 0) != UC_ERR_OK)
      return false;
    uint64_t got;
    std::memcpy(&got, reinterpret_cast<void*>(hostOf(addr)), 8);
    return got == val;
  };

  // 1. One store; find its TLB entry through the {mask, table} pairs below env.
  const uint64_t d1 = kData + 5 * kPage;
  if (!store(d1, 0x6e62656d75000001ull)) return Fail(L, "probe store failed");
  uintptr_t entry = 0;
  uint64_t entries = 0;
  uint64_t ent[32];
  for (ptrdiff_t off = 16; off <= 0x4000 && entry == 0; off += 8) {
    uint64_t pair[2];
    if (!envscan::SafeRead(envb - off, pair, sizeof pair) || pair[0] == 0) continue;
    unsigned shift = static_cast<unsigned>(__builtin_ctzll(pair[0]));
    if (shift < 4 || shift > 8) continue;
    uint64_t nm1 = pair[0] >> shift;
    if ((nm1 & (nm1 + 1)) != 0 || nm1 < 15 || nm1 >= kMaxEntries || !envscan::Plausible(pair[1])) continue;
    uintptr_t at = pair[1] + (((d1 >> 12) & nm1) << shift);
    size_t words = (size_t(1) << shift) / 8;
    if (!envscan::SafeRead(at, ent, words * 8)) continue;
    int w, a;
    FindSlots(ent, words, d1, hostOf(d1), &w, &a);
    if (w < 0 || a < 0 || w == a) continue;
    L.fastOff = -off;
    L.shift = shift;
    L.writeOff = static_cast<unsigned>(w) * 8;
    L.addendOff = static_cast<unsigned>(a) * 8;
    L.notDirty = ent[w] ^ d1;
    entry = at;
    entries = nm1 + 1;
  }
  if (entry == 0) return Fail(L, "no flagged TLB entry for a store: Unicorn keeps stores inline by itself, or the layout is unknown");

  // 2. Clear the flag as tlb_set_dirty does: the next store must still land in the buffer and
  //    leave the entry clean.
  auto* aw = reinterpret_cast<volatile uint64_t*>(entry + L.writeOff);
  *aw = d1;
  if (!store(d1 + 8, 0x6e62656d75000002ull) || *aw != d1) return Fail(L, "a cleared entry did not stay clean");

  // 3. Two stores to pages with the same TLB index evict d1's entry, then d2's, into the
  //    victim TLB: find vtable[0] by d1's entry, then check vindex counts 1, 2 before it.
  const uint64_t d2 = d1 + (entries << 12), d3 = d1 + (2 * entries << 12);
  if (!store(d2, 0x6e62656d75000003ull)) return Fail(L, "probe eviction store failed");
  constexpr size_t kWin = 0x8000;
  std::vector<uint64_t> below(kWin / 8);
  if (!envscan::SafeRead(envb - kWin, below.data(), kWin)) return Fail(L, "cannot read below CPUX86State");
  ptrdiff_t victim = 0;
  int hits = 0;
  const uint64_t add1 = hostOf(d1) - d1;
  for (size_t j = 2; j + (size_t(1) << L.shift) / 8 <= below.size(); j++) {
    if (below[j + L.writeOff / 8] == d1 && below[j + L.addendOff / 8] == add1) {
      victim = static_cast<ptrdiff_t>(j * 8) - static_cast<ptrdiff_t>(kWin);
      hits++;
    }
  }
  if (hits != 1) return Fail(L, "victim TLB not found");
  uint64_t counters[2];  // n_used_entries, vindex
  if (!envscan::SafeRead(envb + victim - 16, counters, 16) || counters[1] != 1 || counters[0] == 0 || counters[0] > 64)
    return Fail(L, "TLB fill counters not found");
  if (!store(d3, 0x6e62656d75000004ull)) return Fail(L, "probe eviction store failed");
  size_t esz = size_t(1) << L.shift;
  if (!envscan::SafeRead(envb + victim - 16, counters, 16) || counters[1] != 2 ||
      !envscan::SafeRead(envb + victim + esz, ent, esz) || ent[L.writeOff / 8] != (d2 | L.notDirty) ||
      ent[L.addendOff / 8] != hostOf(d2) - d2)
    return Fail(L, "victim TLB did not behave as expected");
  L.vindexOff = victim - 8;
  L.ok = true;
  L.why = "";
  return L;
#endif
}

}  // namespace

const Layout& Get() {
  static const Layout layout = Probe();
  return layout;
}

}  // namespace faststore

bool FastStores::Attach(Engine* eng, uint64_t* env) {
  const faststore::Layout& L = faststore::Get();
  if (!L.ok || env == nullptr) return false;
  uintptr_t envb = reinterpret_cast<uintptr_t>(env);
  uint64_t pair[2], counters[2];
  if (!envscan::SafeRead(envb + L.fastOff, pair, sizeof pair) ||
      !envscan::SafeRead(envb + L.vindexOff - 8, counters, sizeof counters))
    return false;
  uint64_t nm1 = pair[0] >> L.shift;
  if (pair[0] != (nm1 << L.shift) || (nm1 & (nm1 + 1)) != 0 || !envscan::Plausible(pair[1])) return false;
  L_ = &L;
  fast_ = reinterpret_cast<const uint64_t*>(envb + L.fastOff);
  used_ = reinterpret_cast<const uint64_t*>(envb + L.vindexOff - 8);
  victims_ = reinterpret_cast<uint8_t*>(envb + L.vindexOff + 8);
  eng_ = eng;
  active_ = true;
  return true;
}

// The page belongs to a mem_map_ptr mapping whose host memory the entry's addend points at
// (and, for clearing, that mapping is writable and not executable).
bool FastStores::Ours(uint64_t page, uint64_t addend, bool needFast) const {
  uint64_t begin = 0;
  const Engine::PtrRegion* r = eng_->RegionOfPage(page, &begin);
  if (r == nullptr || addend + page != r->host + (page - begin)) return false;
  return !needFast || ((r->perms & UC_PROT_WRITE) != 0 && (r->perms & UC_PROT_EXEC) == 0);
}

// Once the TLB is full, a fill evicts the slot's old entry into the victim TLB (vindex counts
// them), so the slot of each new entry is known from the evicted one: look at just those. Fills
// into empty slots (n_used_entries moved), more evictions than victim slots, and every 64th
// time: scan the whole table.
void FastStores::Filled(uint64_t used, uint64_t vindex) {
  uint64_t evicted = vindex - lastVindex_;
  bool grew = used != lastUsed_;
  lastUsed_ = used;
  lastVindex_ = vindex;
  if (grew || evicted > kVictims || (++fills_ & 63) == 0) {
    Scan();
    return;
  }
  const faststore::Layout& L = *L_;
  uint64_t nm1 = fast_[0] >> L.shift;
  auto* table = reinterpret_cast<uint8_t*>(fast_[1]);
  for (uint64_t i = 0; i < evicted; i++) {
    const uint8_t* victim = victims_ + (size_t((vindex - 1 - i) % kVictims) << L.shift);
    uint64_t old = *reinterpret_cast<const uint64_t*>(victim + L.writeOff);
    if ((old & kPageFlags) == kPageFlags) continue;  // no write entry: slot unknown
    uint8_t* e = table + (((old >> 12) & nm1) << L.shift);
    auto* w = reinterpret_cast<uint64_t*>(e + L.writeOff);
    uint64_t aw = *w;
    if ((aw & kPageFlags) == L.notDirty && Ours(aw & ~kPageFlags, *reinterpret_cast<const uint64_t*>(e + L.addendOff), true)) {
      *w = aw & ~kPageFlags;
      cleared++;
    }
  }
}

size_t FastStores::Scan() {
  const faststore::Layout& L = *L_;
  uint64_t mask = fast_[0];
  auto* table = reinterpret_cast<uint8_t*>(fast_[1]);
  size_t n = static_cast<size_t>(mask >> L.shift) + 1;
  if (notOurs_.size() != n || epoch_ != eng_->regionsEpoch) {
    notOurs_.assign(n, 0);
    epoch_ = eng_->regionsEpoch;
  }
  scans++;
  size_t done = 0;
  for (size_t k = 0; k < n; k++) {
    uint8_t* e = table + (k << L.shift);
    auto* w = reinterpret_cast<uint64_t*>(e + L.writeOff);
    uint64_t aw = *w;
    if ((aw & kPageFlags) != L.notDirty || aw == notOurs_[k]) continue;
    uint64_t page = aw & ~kPageFlags;
    if (Ours(page, *reinterpret_cast<const uint64_t*>(e + L.addendOff), true)) {
      *w = page;  // tlb_set_dirty1_locked
      done++;
    } else {
      notOurs_[k] = aw;
    }
  }
  cleared += done;
  return done;
}

void FastStores::Rearm(uint64_t begin, uint64_t end) {
  if (!attached()) return;
  const faststore::Layout& L = *L_;
  auto rearm = [&](uint8_t* e) {
    auto* w = reinterpret_cast<uint64_t*>(e + L.writeOff);
    uint64_t aw = *w;
    if ((aw & kPageFlags) != 0 || aw < begin || aw >= end) return;
    if (Ours(aw, *reinterpret_cast<const uint64_t*>(e + L.addendOff), false)) *w = aw | L.notDirty;
  };
  auto* table = reinterpret_cast<uint8_t*>(fast_[1]);
  size_t n = static_cast<size_t>(fast_[0] >> L.shift) + 1;
  for (size_t k = 0; k < n; k++) rearm(table + (k << L.shift));
  for (unsigned k = 0; k < kVictims; k++) rearm(victims_ + (size_t(k) << L.shift));
}

// ---- TrapCpu implementation -----------------------------------------------------------------
TrapCpu::TrapCpu(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrapCpu>(info) {
  Napi::Env env = info.Env();
  AddonData* ad = Data(env);
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(ad->unicornCtor.Value()))
    ThrowUc(env, UC_ERR_ARG, "TrapCpu: argument must be a Unicorn engine");
  Engine* e = Engine::Unwrap(info[0].As<Napi::Object>());
  e->CheckOpen();
  if (e->arch != UC_ARCH_X86 || e->mode != UC_MODE_64) ThrowUc(env, UC_ERR_MODE, "TrapCpu needs an x86-64 engine");

  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, TRAP_SLOTS * 8);
  rec = static_cast<uint64_t*>(ab.Data());
  std::memset(rec, 0, TRAP_SLOTS * 8);
  recordRef_ = Napi::Persistent(ab);
  napi_value big, u32;
  if (napi_create_typedarray(env, napi_biguint64_array, TRAP_SLOTS, ab, 0, &big) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, TRAP_SLOTS * 2, ab, 0, &u32) != napi_ok)
    throw Napi::Error::New(env);
  Napi::Object self = info.This().As<Napi::Object>();
  napi_value runFn, resumeFn;
  if (napi_create_function(env, "run", NAPI_AUTO_LENGTH, &TrapCpu::RunRaw, this, &runFn) != napi_ok ||
      napi_create_function(env, "resume", NAPI_AUTO_LENGTH, &TrapCpu::ResumeRaw, this, &resumeFn) != napi_ok)
    throw Napi::Error::New(env);
  // The function points at this C++ object: tie its lifetime to the TrapCpu object (a cycle
  // the GC collects as a whole), so a detached `const run = cpu.run` cannot outlive it.
  Napi::Function(env, runFn).DefineProperty(Napi::PropertyDescriptor::Value("owner", self, napi_default));
  Napi::Function(env, resumeFn).DefineProperty(Napi::PropertyDescriptor::Value("owner", self, napi_default));
  self.DefineProperties({
      Napi::PropertyDescriptor::Value("record", Napi::Value(env, big), napi_enumerable),
      Napi::PropertyDescriptor::Value("u32", Napi::Value(env, u32), napi_enumerable),
      Napi::PropertyDescriptor::Value("run", Napi::Value(env, runFn), napi_default),
      Napi::PropertyDescriptor::Value("resume", Napi::Value(env, resumeFn), napi_default),
  });

  for (int i = 0; i < 8; i++) sysPtrs_[i] = &rec[TRAP_RAX + i];
  sysPtrs_[8] = &rec[TRAP_RIP];

  uc_err err = uc_hook_add(e->uc, &hSys_, UC_HOOK_INSN, reinterpret_cast<void*>(&SyscallHook), this, 1, 0,
                           UC_X86_INS_SYSCALL);
  if (err == UC_ERR_OK)
    err = uc_hook_add(e->uc, &hFault_, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, reinterpret_cast<void*>(&FaultHook),
                      this, 1, 0);
  if (err == UC_ERR_OK)
    err = uc_hook_add(e->uc, &hIntr_, UC_HOOK_INTR, reinterpret_cast<void*>(&IntrHook), this, 1, 0);
  if (err == UC_ERR_OK)
    err = uc_hook_add(e->uc, &hBlock_, UC_HOOK_BLOCK, reinterpret_cast<void*>(&BlockHook), this, 1, 0);
  if (err != UC_ERR_OK) {
    if (hSys_) uc_hook_del(e->uc, hSys_);
    if (hFault_) uc_hook_del(e->uc, hFault_);
    if (hIntr_) uc_hook_del(e->uc, hIntr_);
    hSys_ = hFault_ = hIntr_ = hBlock_ = 0;
    ThrowUc(env, err, "TrapCpu: uc_hook_add");
  }
  eng = e;
  e->traps.insert(this);
  if (!e->running) env_ = envscan::LocateX86Env(e->uc);
  if (fs.Attach(e, env_) && e->memHooks > 0) fs.Pause(true);
  engineRef_ = Napi::Persistent(info[0].As<Napi::Object>());
  wd_ = ad->watchdog;
  wd_->users++;
  expired_ = wd_->state();
}

void TrapCpu::SyscallHook(uc_engine* uc, void* ud) {
  auto* t = static_cast<TrapCpu*>(ud);
  uint64_t* r = t->rec;
  if (const uint64_t* env = t->env_) {
    // CPUX86State order: RAX RCX RDX RBX RSP RBP RSI RDI R8 R9 R10 .. R15, eip.
    r[TRAP_RAX] = env[0];
    r[TRAP_RDI] = env[7];
    r[TRAP_RSI] = env[6];
    r[TRAP_RDX] = env[2];
    r[TRAP_R10] = env[10];
    r[TRAP_R8] = env[8];
    r[TRAP_R9] = env[9];
    r[TRAP_RSP] = env[4];
    r[TRAP_RIP] = env[16];
  } else {
    uc_reg_read_batch(uc, const_cast<int*>(kSysRegs), t->sysPtrs_, 9);
  }
  // Inside the hook Unicorn reports RIP = the address of the `syscall` itself (verified on
  // 2.0.1; 2.1.x's helper_syscall is the same: hooks run before `eip += next_eip_addend`).
  r[TRAP_RIP] += SYSCALL_INSN_LEN;
  r[TRAP_KIND] = KIND_SYSCALL;
  uc_emu_stop(uc);
}

bool TrapCpu::FaultHook(uc_engine*, uc_mem_type type, uint64_t address, int, int64_t, void* ud) {
  auto* t = static_cast<TrapCpu*>(ud);
  uint64_t* r = t->rec;
  if (r[TRAP_KIND] == KIND_NONE) {
    r[TRAP_KIND] = KIND_FAULT;
    r[TRAP_DETAIL] = static_cast<uint64_t>(type);
    r[TRAP_ADDR] = address;
  }
  return false;  // not handled: Unicorn stops with UC_ERR_*_UNMAPPED / *_PROT
}

void TrapCpu::IntrHook(uc_engine* uc, uint32_t intno, void* ud) {
  auto* t = static_cast<TrapCpu*>(ud);
  uint64_t* r = t->rec;
  if (r[TRAP_KIND] == KIND_NONE) {
    r[TRAP_KIND] = KIND_INTERRUPT;
    r[TRAP_DETAIL] = intno;
  }
  uc_emu_stop(uc);
}

// At the start of every translation block, before its first instruction: the one place where a
// slice may end (see Watchdog). Unicorn checks for a stop right after the block hook, so RIP is
// the block's address and nothing of the block has run. Also where FastStores looks for TLB
// fills since the last block (two loads and compares when there were none).
void TrapCpu::BlockHook(uc_engine* uc, uint64_t, uint32_t, void* ud) {
  auto* t = static_cast<TrapCpu*>(ud);
  if ((t->expired_->load(std::memory_order_relaxed) & Watchdog::kFired) || g_hostSignals.load(std::memory_order_relaxed) != 0) uc_emu_stop(uc);
  if (t->fs.active()) t->fs.Poll();
}

Napi::Value TrapCpu::Run(const Napi::CallbackInfo& info) {
  double slice = 0;
  if (info.Length() > 0 && info[0].IsNumber()) slice = info[0].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(info.Env(), RunCore(info.Env(), slice));
}

// The per-instance `run` (an own property whose function data is the TrapCpu): skips
// napi_unwrap, which costs a private-symbol property lookup per call.
napi_value TrapCpu::RunRaw(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
  double slice = 0;
  if (argc >= 1) {
    if (napi_get_value_double(env, argv[0], &slice) != napi_ok) slice = 0;
  }
  uint32_t kind;
  try {
    kind = static_cast<TrapCpu*>(data)->RunCore(Napi::Env(env), slice);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  } catch (...) {
    napi_throw_error(env, nullptr, "nbemu: unknown native exception in TrapCpu.run");
    return nullptr;
  }
  napi_value out;
  napi_create_uint32(env, kind, &out);
  return out;
}

// resume(): run() for the kernel's loop without argument or result conversions (each costs a
// N-API call): the slice comes from record slot TRAP_SLICE_US, the kind is left in TRAP_KIND.
napi_value TrapCpu::ResumeRaw(napi_env env, napi_callback_info cbinfo) {
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, nullptr, nullptr, nullptr, &data) != napi_ok) return nullptr;
  auto* t = static_cast<TrapCpu*>(data);
  double slice;
  std::memcpy(&slice, &t->rec[TRAP_SLICE_US], sizeof slice);
  try {
    t->RunCore(Napi::Env(env), slice);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  } catch (...) {
    napi_throw_error(env, nullptr, "nbemu: unknown native exception in TrapCpu.resume");
  }
  return nullptr;
}

uint32_t TrapCpu::RunCore(Napi::Env env, double slice) {
  Engine* e = eng;
  if (e == nullptr || e->uc == nullptr || e->closePending) ThrowUc(env, UC_ERR_HANDLE, "TrapCpu is disposed or its engine is closed");
  if (e->running) ThrowUc(env, UC_ERR_ARG, "TrapCpu.run: the engine is already running (not re-entrant)");
  if (!(slice >= 0)) slice = 0;
  uc_engine* uc = e->uc;
  e->SetExitsMode(true);
  uint64_t* r = rec;

  uint64_t flags = r[TRAP_RESULT_FLAGS];
  uint64_t* regs = env_;
  uint64_t rip = 0;
  if (regs != nullptr) {
    if ((flags & (RESULT_PENDING | RESULT_JUSTRETURN)) == RESULT_PENDING) {
      regs[0] = r[TRAP_RESULT_RAX];
      regs[2] = r[TRAP_RESULT_RDX];
      // env->eflags holds the full flags between runs; the next run reloads CF from it.
      regs[17] = (regs[17] & ~uint64_t(1)) | ((flags & RESULT_CARRY) ? 1 : 0);
    }
    if (flags & RESULT_PENDING) r[TRAP_RESULT_FLAGS] = 0;
    rip = regs[16];
  } else if (flags & RESULT_PENDING) {
    if (!(flags & RESULT_JUSTRETURN)) {
      uint64_t eflags = 0;
      uc_reg_read(uc, UC_X86_REG_EFLAGS, &eflags);
      if (flags & RESULT_CARRY)
        eflags |= 1;
      else
        eflags &= ~uint64_t(1);
      static const int wregs[3] = {UC_X86_REG_RAX, UC_X86_REG_RDX, UC_X86_REG_EFLAGS};
      void* wvals[3] = {&r[TRAP_RESULT_RAX], &r[TRAP_RESULT_RDX], &eflags};
      uc_reg_write_batch(uc, const_cast<int*>(wregs), wvals, 3);
    }
    r[TRAP_RESULT_FLAGS] = 0;
  }
  if (regs == nullptr) uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  r[TRAP_KIND] = KIND_NONE;
  r[TRAP_DETAIL] = 0;

  e->running = true;
  bool sliced = slice > 0;
  // Held as a plain pointer: a hook may dispose() this TrapCpu mid-run, but the environment's
  // AddonData keeps the watchdog alive.
  Watchdog* wd = wd_.get();
  if (sliced) {
    try {
      wd->Arm(slice);
    } catch (...) {
      e->running = false;
      throw;
    }
  }
  uc_err err = uc_emu_start(uc, rip, ~uint64_t(0), 0, 0);
  bool fired = sliced ? wd->Disarm() : false;
  e->running = false;

  uint64_t kind = r[TRAP_KIND];
  if (kind != KIND_SYSCALL) {
    if (kind == KIND_NONE) {
      if (err != UC_ERR_OK) {
        kind = KIND_ERROR;
        r[TRAP_DETAIL] = static_cast<uint64_t>(err);
      } else if (fired || g_hostSignals.load(std::memory_order_relaxed) != 0) {
        kind = KIND_SLICE;  // the slice ended, or a host signal is waiting for the kernel
      } else {
        kind = KIND_HALT;
      }
    }
    uc_reg_read_batch(uc, const_cast<int*>(kSysRegs), sysPtrs_, 9);  // RIP as reported
    r[TRAP_KIND] = kind;
  }
  e->AfterRun();
  e->RethrowPending();
  return static_cast<uint32_t>(kind);
}

// ---- module -------------------------------------------------------------------------------
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a constructor");
  Data(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  unsigned int major = 0, minor = 0;
  unsigned int combined = uc_version(&major, &minor);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("major", major);
  o.Set("minor", minor);
  o.Set("combined", combined);
  o.Set("headerMajor", UC_API_MAJOR);
  o.Set("headerMinor", UC_API_MINOR);
  o.Set("headerPatch", UC_API_PATCH);
  return o;
}

Napi::Value ArchSupported(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), uc_arch_supported(static_cast<uc_arch>(ToInt(info.Env(), info[0], "arch"))));
}

void EnvCleanup(void* arg) {
  auto* wd = static_cast<std::shared_ptr<Watchdog>*>(arg);
  (*wd)->Stop();
  delete wd;
}

}  // namespace

void RegisterHostIo(Napi::Env env, Napi::Object exports);

namespace {

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  auto* ad = new AddonData();
  env.SetInstanceData<AddonData>(ad);
  Napi::Function unicorn = Engine::Init(env);
  Napi::Function trap = TrapCpu::Init(env);
  Napi::Function context = Context::Init(env);
  ad->unicornCtor = Napi::Persistent(unicorn);
  ad->trapCtor = Napi::Persistent(trap);
  ad->contextCtor = Napi::Persistent(context);
  // Join the watchdog thread when this environment (main thread or worker) goes away.
  napi_add_env_cleanup_hook(env, EnvCleanup, new std::shared_ptr<Watchdog>(ad->watchdog));
  exports.Set("Unicorn", unicorn);
  exports.Set("TrapCpu", trap);
  exports.Set("UnicornContext", context);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("arch_supported", Napi::Function::New(env, ArchSupported, "arch_supported"));
  RegisterHostIo(env, exports);  // hostio.cc
  return exports;
}

}  // namespace

NODE_API_MODULE(nbemu_unicorn, InitModule)
