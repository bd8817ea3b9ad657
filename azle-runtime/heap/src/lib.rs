//! `sbrk` for the C heap of the canisters' runtime.
//!
//! The runtime links Debian's wasi-libc (2022), whose dlmalloc takes everything from `__heap_base` up to
//! `sbrk(0)` as its first heap region, and whose `sbrk(0)` is the memory's current size. wasi-libc has since
//! bounded that region by `__heap_end`, the end of the module's initial memory, which wasm-ld defines:
//! memory grown by anyone else before the first allocation is not the allocator's. The local IC grows a
//! canister's memory before its first message (its dirty-page bitmap, src/replica/memory.ts), so the old
//! rule handed that bitmap to malloc. This `sbrk` keeps the program break itself: it starts at `__heap_end`,
//! and growing returns the pages `memory.grow` gives, wherever they are (dlmalloc takes a region that does
//! not follow the last one as a new segment). On the IC, where nothing grows a canister's memory but the
//! canister, it behaves as wasi-libc's own.
#![no_std]

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::sync::atomic::{AtomicUsize, Ordering};

    const WASM_PAGE: usize = 65536;
    /// What `sbrk` answers on failure (`(void *)-1`); dlmalloc then sets errno and returns null.
    const FAILED: *mut u8 = usize::MAX as *mut u8;

    unsafe extern "C" {
        /// Defined by wasm-ld: the end of the module's initial memory.
        static __heap_end: u8;
    }

    /// The program break; 0 until the first call. (A canister runs one message at a time: the atomic is only
    /// a safe static, not a lock.)
    static BREAK: AtomicUsize = AtomicUsize::new(0);

    #[unsafe(no_mangle)]
    pub extern "C" fn sbrk(increment: isize) -> *mut u8 {
        let mut current = BREAK.load(Ordering::Relaxed);
        if current == 0 {
            current = &raw const __heap_end as usize;
            BREAK.store(current, Ordering::Relaxed);
        }
        if increment == 0 {
            return current as *mut u8;
        }
        // dlmalloc asks for whole pages and never gives memory back (wasi-libc's MORECORE_CANNOT_TRIM)
        if increment < 0 || increment as usize % WASM_PAGE != 0 {
            return FAILED;
        }
        let pages = increment as usize / WASM_PAGE;
        let previous = core::arch::wasm32::memory_grow(0, pages);
        if previous == usize::MAX {
            return FAILED;
        }
        BREAK.store((previous + pages) * WASM_PAGE, Ordering::Relaxed);
        (previous * WASM_PAGE) as *mut u8
    }
}
