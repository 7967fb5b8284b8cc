// The CUDA dialect subset that symtensor's kernels use, on the CPU (g++ -std=c++20).
//
// Execution model (see emulator.py): a launch runs the grid's blocks one after another.
// The CUDA threads of a block run in one of two ways, picked when the module is built:
//
// * fibers (default): every CUDA thread is a ucontext fiber with its own stack, all on
//   one OS thread.  Each runs until it reaches __syncthreads (or returns), then the next
//   one runs; when all have arrived, the next round starts.  Deterministic, and cheap on
//   a small machine (a barrier over 256 threads costs a few hundred context switches
//   instead of waking 256 OS threads).  A missing __syncthreads shows reliably: thread 0
//   runs ahead of every other thread up to its next barrier.
// * OS threads (-DST_EMU_OS_THREADS, SYMTENSOR_EMU_MODE=threads): one std::thread per
//   CUDA thread, running concurrently, with a barrier; slower, but races can show.
//
// __shared__ is `static`: one variable per kernel (per template instance), seen by every
// thread of the block, which is what CUDA's per-block shared memory is as long as only
// one block runs at a time.  Blocks are sequential and launches are serialised by a
// mutex, so this holds.  (`static thread_local` would be wrong: each OS thread would get
// its own copy.)  Dynamic shared memory (extern __shared__) is not supported.
//
// In both modes __syncthreads checks that every thread of the block reached a barrier:
// a thread that leaves the kernel while others wait at __syncthreads makes the launch
// fail with an error instead of a hang.
#pragma once

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <ucontext.h>

#define ST_EMULATOR 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static
#define __constant__ static
#define __launch_bounds__(...)
#define __ldg(p) (*(p))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

static thread_local dim3 threadIdx, blockIdx;
static thread_local dim3 blockDim, gridDim;
static constexpr int warpSize = 32;

namespace st_emu {

static std::mutex launch_mutex;

static inline dim3 thread_index(unsigned tid, dim3 block) {
    return dim3{tid % block.x, (tid / block.x) % block.y, tid / (block.x * block.y)};
}

#ifdef ST_EMU_OS_THREADS
// ---------------------------------------------------------------- OS threads
enum BarrierKind { SYNCTHREADS = 0, END_OF_BLOCK = 1 };

class Barrier {
  public:
    explicit Barrier(int n) : n_(n) {}

    void wait(int kind) {
        std::unique_lock<std::mutex> lock(m_);
        if (broken_) return;
        if (count_ == 0) {
            kind_ = kind;
        } else if (kind_ != kind) {
            broken_ = true;  // a thread left the kernel while others sit in __syncthreads
            cv_.notify_all();
            return;
        }
        if (++count_ == n_) {
            count_ = 0;
            ++generation_;
            cv_.notify_all();
            return;
        }
        const unsigned long gen = generation_;
        cv_.wait(lock, [&] { return generation_ != gen || broken_; });
    }

    bool broken() {
        std::lock_guard<std::mutex> lock(m_);
        return broken_;
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    const int n_;
    int count_ = 0, kind_ = 0;
    unsigned long generation_ = 0;
    bool broken_ = false;
};

static thread_local Barrier* current_barrier = nullptr;

static inline void syncthreads() { current_barrier->wait(SYNCTHREADS); }

// Runs `kernel` over the grid: dims = {grid.x, grid.y, grid.z, block.x, block.y, block.z}.
// Returns 0, or 1 when threads of a block reached different barriers.
static int launch(const unsigned* dims, const std::function<void()>& kernel) {
    std::lock_guard<std::mutex> serial(launch_mutex);
    const dim3 grid{dims[0], dims[1], dims[2]}, block{dims[3], dims[4], dims[5]};
    const int n_threads = int(block.x * block.y * block.z);
    if (n_threads <= 0 || grid.x * grid.y * grid.z == 0) return 0;
    Barrier barrier(n_threads);
    auto worker = [&](int tid) {
        current_barrier = &barrier;
        blockDim = block;
        gridDim = grid;
        threadIdx = thread_index(unsigned(tid), block);
        for (unsigned bz = 0; bz < grid.z; ++bz)
            for (unsigned by = 0; by < grid.y; ++by)
                for (unsigned bx = 0; bx < grid.x; ++bx) {
                    if (barrier.broken()) return;
                    blockIdx = dim3{bx, by, bz};
                    kernel();
                    barrier.wait(END_OF_BLOCK);
                }
    };
    std::vector<std::thread> threads;
    threads.reserve(n_threads);
    for (int t = 0; t < n_threads; ++t) threads.emplace_back(worker, t);
    for (auto& t : threads) t.join();
    return barrier.broken() ? 1 : 0;
}

#else
// ---------------------------------------------------------------- fibers
enum FiberState { RUNNING, AT_BARRIER, DONE };

struct Fiber {
    ucontext_t ctx;
    char* stack = nullptr;
    FiberState state = DONE;
    dim3 tid;
};

static constexpr size_t FIBER_STACK = 256 * 1024;
static ucontext_t scheduler;
static std::vector<Fiber> fibers;
static Fiber* current = nullptr;
static const std::function<void()>* current_kernel = nullptr;

static void fiber_main() {
    (*current_kernel)();
    current->state = DONE;  // uc_link returns to the scheduler
}

static inline void syncthreads() {
    current->state = AT_BARRIER;
    swapcontext(&current->ctx, &scheduler);
}

static inline void resume(Fiber& f) {
    current = &f;
    threadIdx = f.tid;
    swapcontext(&scheduler, &f.ctx);
}

// Runs `kernel` over the grid: dims = {grid.x, grid.y, grid.z, block.x, block.y, block.z}.
// Returns 0, or 1 when threads of a block reached different barriers.
static int launch(const unsigned* dims, const std::function<void()>& kernel) {
    std::lock_guard<std::mutex> serial(launch_mutex);
    const dim3 grid{dims[0], dims[1], dims[2]}, block{dims[3], dims[4], dims[5]};
    const unsigned n_threads = block.x * block.y * block.z;
    if (n_threads == 0 || grid.x * grid.y * grid.z == 0) return 0;
    if (fibers.size() < n_threads) fibers.resize(n_threads);  // stacks are kept for reuse
    for (unsigned t = 0; t < n_threads; ++t) {
        if (!fibers[t].stack) fibers[t].stack = new char[FIBER_STACK];
        fibers[t].tid = thread_index(t, block);
    }
    current_kernel = &kernel;
    blockDim = block;
    gridDim = grid;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                blockIdx = dim3{bx, by, bz};
                for (unsigned t = 0; t < n_threads; ++t) {
                    Fiber& f = fibers[t];
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = f.stack;
                    f.ctx.uc_stack.ss_size = FIBER_STACK;
                    f.ctx.uc_link = &scheduler;
                    makecontext(&f.ctx, fiber_main, 0);
                    f.state = RUNNING;
                }
                for (;;) {  // one round: every live thread runs to its next barrier
                    for (unsigned t = 0; t < n_threads; ++t)
                        if (fibers[t].state == RUNNING) resume(fibers[t]);
                    unsigned waiting = 0;
                    for (unsigned t = 0; t < n_threads; ++t)
                        waiting += fibers[t].state == AT_BARRIER;
                    if (waiting == 0) break;
                    if (waiting != n_threads) return 1;  // others returned: divergent barrier
                    for (unsigned t = 0; t < n_threads; ++t) fibers[t].state = RUNNING;
                }
            }
    return 0;
}
#endif

}  // namespace st_emu

static inline void __syncthreads() { st_emu::syncthreads(); }
static inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
static inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }

// ---------------------------------------------------------------- atomics
template <class T>
static inline T atomicAdd(T* address, T val) {
    return std::atomic_ref<T>(*address).fetch_add(val);
}
template <class T>
static inline T atomicCAS(T* address, T compare, T val) {
    std::atomic_ref<T>(*address).compare_exchange_strong(compare, val);
    return compare;  // the old value, as CUDA returns it
}
template <class T>
static inline T atomicExch(T* address, T val) {
    return std::atomic_ref<T>(*address).exchange(val);
}
template <class T>
static inline T atomicMax(T* address, T val) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (old < val && !ref.compare_exchange_weak(old, val)) {
    }
    return old;
}
template <class T>
static inline T atomicMin(T* address, T val) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (val < old && !ref.compare_exchange_weak(old, val)) {
    }
    return old;
}
template <class T>
static inline T atomicOr(T* address, T val) {
    return std::atomic_ref<T>(*address).fetch_or(val);
}

// ---------------------------------------------------------------- math
// <cmath> gives expf, logf, tanhf, fmaxf, erff, rintf, ... in the global namespace, and
// glibc declares __expf and __logf itself.
template <class T>
static inline T min(T a, T b) { return b < a ? b : a; }
template <class T>
static inline T max(T a, T b) { return a < b ? b : a; }
static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
static inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
static inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
static inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
static inline long long __double_as_longlong(double x) {
    long long i; std::memcpy(&i, &x, 8); return i;
}
static inline double __longlong_as_double(long long i) {
    double x; std::memcpy(&x, &i, 8); return x;
}
