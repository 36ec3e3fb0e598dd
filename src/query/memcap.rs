//! The process-wide backstop of `--memory-mb`. DataFusion's pool bounds what its operators
//! reserve (sorts, aggregates, joins), but not what an expression allocates: a chain of
//! `s || s || …` over a few CTEs, a `range(1, 2000000000)` list or any function that builds
//! a large value allocates outside the pool. So while a statement runs, a counting global
//! allocator adds up what the process allocates beyond what it frees; past the cap the
//! command stops with exit 2 and a message naming `--memory-mb` (an allocation cannot fail
//! with an error in Rust, so the process ends rather than returning one). The cap is the pool
//! plus the same again plus [`SLACK_BYTES`] for data in flight.
//!
//! When no statement runs the allocator only reads one flag per call, so ingest and the
//! report pay nothing measurable for it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};

/// Allocation beyond twice the pool allowed to a statement: batches in flight, Parquet
/// decoding buffers, the result itself.
pub const SLACK_BYTES: usize = 256 << 20;

/// Statements running (the CLI runs one at a time; more only in library use).
static ARMED: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated minus bytes freed since the first running statement started.
static USED: AtomicIsize = AtomicIsize::new(0);
/// The cap in bytes.
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);
/// The `--memory-mb` the cap comes from, for the message.
static LIMIT_MB: AtomicUsize = AtomicUsize::new(0);
/// Set once the cap was passed: the process is ending, later allocations pass through.
static TRIPPED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting while a statement runs.
pub struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The cap of a statement under a pool of `memory_bytes`.
pub fn cap_bytes(memory_bytes: usize) -> usize {
    memory_bytes.saturating_mul(2).saturating_add(SLACK_BYTES)
}

/// Counting is on while this lives.
pub struct Armed(());

/// Count allocations against the cap of a pool of `memory_bytes` until the guard drops.
pub fn arm(memory_bytes: usize) -> Armed {
    if ARMED.fetch_add(1, Relaxed) == 0 {
        USED.store(0, Relaxed);
        CAP.store(cap_bytes(memory_bytes), Relaxed);
        LIMIT_MB.store(memory_bytes >> 20, Relaxed);
    }
    Armed(())
}

impl Drop for Armed {
    fn drop(&mut self) {
        ARMED.fetch_sub(1, Relaxed);
    }
}

/// Add `n` allocated bytes; past the cap, end the process.
#[inline]
fn charge(n: usize) {
    if ARMED.load(Relaxed) == 0 {
        return;
    }
    let n = n as isize;
    let used = USED.fetch_add(n, Relaxed).saturating_add(n);
    if used > CAP.load(Relaxed) as isize && !TRIPPED.swap(true, Relaxed) {
        exceeded();
    }
}

/// Take back `n` freed bytes.
#[inline]
fn credit(n: usize) {
    if ARMED.load(Relaxed) != 0 {
        USED.fetch_sub(n as isize, Relaxed);
    }
}

/// Say why and end with exit 2. The message is formatted on the stack: this runs inside an
/// allocation, where allocating again is best avoided.
#[cold]
fn exceeded() -> ! {
    let mut buf = [0u8; 400];
    let mut w = std::io::Cursor::new(&mut buf[..]);
    let _ = writeln!(
        w,
        "ticketlake: error: sql: the statement needed more than {} MiB of memory \
         (twice --memory-mb {} plus {} MiB for data in flight) and was stopped; \
         narrow it or raise --memory-mb",
        CAP.load(Relaxed) >> 20,
        LIMIT_MB.load(Relaxed),
        SLACK_BYTES >> 20
    );
    let n = w.position() as usize;
    let _ = std::io::stderr().write_all(&buf[..n]);
    std::process::exit(2)
}

// SAFETY: every call is forwarded to `System` unchanged; only the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        credit(layout.size());
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            charge(new_size - layout.size());
        } else {
            credit(layout.size() - new_size);
        }
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
