//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`, Linux 5.19+): the
//! pool of buffers multishot `read` and `recv` take one buffer from per
//! item.
//!
//! Ownership rule (why the backend can offer a safe API over it): both
//! mappings are private to this type and no Rust reference into the buffer
//! memory ever escapes. A buffer is the kernel's from the moment its entry
//! is published (the ring's tail moves past it) until a CQE names its id;
//! then [`BufRing::take`] copies the bytes out and publishes the buffer
//! again. So the kernel never writes memory safe code can see, and a
//! buffer is never handed to the kernel twice.
//!
//! The ring is written only under the port's lock (it lives in the
//! backend's [`Ring`](super::uring::Ring)); the kernel reads it
//! concurrently, which is why the tail is published with a release store
//! after the entry is written (the kernel's `smp_load_acquire` of the tail
//! pairs with it).
//!
//! Teardown: the ring is unregistered (`IORING_UNREGISTER_PBUF_RING`) only
//! after every request that could select a buffer has posted its final
//! CQE (the owning `Ring`'s `Drop`), and the mappings are unmapped only
//! after that unregistration succeeded; if it fails they are leaked.

use std::ptr::NonNull;

use io_uring::IoUring;

use crate::error::Error;
use crate::sync::os::AtomicU16;

/// `sizeof(struct io_uring_buf)`: `addr: u64, len: u32, bid: u16, resv: u16`.
const ENTRY: usize = 16;
/// The ring's tail is the `resv` field of entry 0 (`struct io_uring_buf_ring`).
const TAIL_OFFSET: usize = 14;

/// How many buffers, of what size, multishot reads and receives share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferPool {
    /// Buffers in the ring: a power of two, 1 to 32768.
    pub count: u16,
    /// Bytes per buffer: at most this much per item.
    pub size: u32,
}

impl Default for BufferPool {
    /// 64 buffers of 4 KiB (256 KiB, mapped at the first multishot read or
    /// receive).
    fn default() -> Self {
        Self {
            count: 64,
            size: 4096,
        }
    }
}

/// An anonymous private mapping, unmapped on drop.
#[derive(Debug)]
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    fn anon(len: usize) -> Result<Self, Error> {
        // SAFETY: a fresh anonymous mapping: no address hint, no fd, no
        // existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::last_os("mmap"));
        }
        let ptr = NonNull::new(p.cast()).ok_or(Error::Os {
            syscall: "mmap",
            errno: libc::ENOMEM,
        })?;
        Ok(Self { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours (from `anon`) and nothing refers to it
        // any more: `BufRing` drops it only once the kernel cannot touch it
        // (see the module docs).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// One registered buffer ring and its buffers (see the module docs).
#[derive(Debug)]
pub(crate) struct BufRing {
    entries: Mapping,
    bufs: Mapping,
    pool: BufferPool,
    bgid: u16,
    /// The tail as last published.
    tail: u16,
    /// Ids the kernel currently owns (a bit per buffer): `take` of an id
    /// the kernel does not own is a kernel bug or a stale CQE, refused.
    owned_by_kernel: Vec<u64>,
}

// SAFETY: the raw pointers are to mappings owned by this value alone; it is
// only used under the port's lock (moved between threads, never shared).
unsafe impl Send for BufRing {}

impl BufRing {
    /// Maps the ring and its buffers, registers them as group `bgid` of
    /// `ring`, and hands every buffer to the kernel.
    pub(crate) fn new(ring: &IoUring, bgid: u16, pool: BufferPool) -> Result<Self, Error> {
        if !pool.count.is_power_of_two() || pool.count > 32768 || pool.size == 0 {
            return Err(Error::Os {
                syscall: "io_uring_register(IORING_REGISTER_PBUF_RING)",
                errno: libc::EINVAL,
            });
        }
        let n = usize::from(pool.count);
        let entries = Mapping::anon(n * ENTRY)?;
        let bufs = Mapping::anon(n * pool.size as usize)?;
        // SAFETY: `entries` is a page-aligned mapping of `count` entries that
        // lives until after the group is unregistered (module docs:
        // teardown); the kernel reads it only.
        unsafe {
            ring.submitter().register_buf_ring_with_flags(
                entries.ptr.as_ptr() as u64,
                pool.count,
                bgid,
                0,
            )
        }
        .map_err(|e| Error::Os {
            syscall: "io_uring_register(IORING_REGISTER_PBUF_RING)",
            errno: e.raw_os_error().unwrap_or(0),
        })?;
        let mut me = Self {
            entries,
            bufs,
            pool,
            bgid,
            tail: 0,
            owned_by_kernel: vec![0; n.div_ceil(64)],
        };
        for bid in 0..pool.count {
            me.push(bid);
        }
        me.publish();
        Ok(me)
    }

    /// The group id SQEs name (`IOSQE_BUFFER_SELECT`).
    pub(crate) fn group(&self) -> u16 {
        self.bgid
    }

    fn owned(&self, bid: u16) -> bool {
        self.owned_by_kernel[usize::from(bid) / 64] & (1 << (bid % 64)) != 0
    }

    fn set_owned(&mut self, bid: u16, on: bool) {
        let w = &mut self.owned_by_kernel[usize::from(bid) / 64];
        if on {
            *w |= 1 << (bid % 64);
        } else {
            *w &= !(1 << (bid % 64));
        }
    }

    /// Writes buffer `bid`'s entry past the published tail (not yet
    /// visible to the kernel).
    fn push(&mut self, bid: u16) {
        debug_assert!(!self.owned(bid));
        let slot = usize::from(self.tail & (self.pool.count - 1));
        let addr = self.bufs.ptr.as_ptr() as u64 + u64::from(bid) * u64::from(self.pool.size);
        let base = self.entries.ptr.as_ptr();
        // SAFETY: `slot < count`, so the 14 bytes written (addr, len, bid)
        // lie inside the entries mapping and leave the tail field alone.
        // The kernel reads only entries between its head and the published
        // tail, and this slot is at the unpublished tail: no concurrent read.
        unsafe {
            let e = base.add(slot * ENTRY);
            e.cast::<u64>().write(addr);
            e.add(8).cast::<u32>().write(self.pool.size);
            e.add(12).cast::<u16>().write(bid);
        }
        self.tail = self.tail.wrapping_add(1);
        self.set_owned(bid, true);
    }

    /// Makes every pushed entry visible to the kernel.
    fn publish(&self) {
        // SAFETY: the tail field is a 2-aligned u16 inside the mapping (page
        // aligned + 14); the kernel only reads it, with acquire ordering, and
        // it is accessed here only atomically.
        let tail = unsafe {
            AtomicU16::from_ptr(self.entries.ptr.as_ptr().add(TAIL_OFFSET).cast::<u16>())
        };
        tail.store(self.tail, std::sync::atomic::Ordering::Release);
    }

    /// Appends the first `len` bytes of buffer `bid`, which a CQE just
    /// handed back, to `out`; the buffer goes back to the kernel. `false` if
    /// the kernel did not own `bid` (nothing is read then).
    pub(crate) fn take_into(&mut self, bid: u16, len: usize, out: &mut Vec<u8>) -> bool {
        if bid >= self.pool.count || !self.owned(bid) {
            return false;
        }
        self.set_owned(bid, false);
        let len = len.min(self.pool.size as usize);
        // SAFETY: the kernel posted the CQE naming `bid`, so it has finished
        // writing that buffer and will not select it again until it is
        // pushed below; `bid < count`, so the range lies inside `bufs`, and
        // no other reference to it exists.
        let data = unsafe {
            std::slice::from_raw_parts(
                self.bufs
                    .ptr
                    .as_ptr()
                    .add(usize::from(bid) * self.pool.size as usize),
                len,
            )
        };
        out.extend_from_slice(data);
        self.push(bid);
        self.publish();
        true
    }

    /// Unregisters the group; on failure the mappings are leaked, since the
    /// kernel may still read them.
    pub(crate) fn unregister(self, ring: &IoUring) {
        if ring.submitter().unregister_buf_ring(self.bgid).is_err() {
            std::mem::forget(self);
        }
    }
}
