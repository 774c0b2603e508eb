//! Runs emovox-tiny's front end and int8 network on each embedded clip and prints, per clip,
//! `clip N class C logits L0 L1 ...` and the instruction counts of the front end and the
//! network (cycle counter under `qemu -icount shift=0`: one instruction per tick), then exits.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{Peripherals, SYST};
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};

// The int8 model (`MODEL`, `ARENA_BYTES`, `CLASSES`), as `emovox export` generates it.
include!(concat!(env!("EMOVOX_FIRMWARE_DATA"), "/model.rs"));
/// The clips: `u32` count, `u32` stride; per clip `u32` length and `stride` 16-bit samples.
static CLIPS: &[u8] = include_bytes!(concat!(env!("EMOVOX_FIRMWARE_DATA"), "/clips.bin"));

#[repr(align(8))]
struct Arena([u8; ARENA_BYTES]);

static mut ARENA: Arena = Arena([0; ARENA_BYTES]);

/// 16-bit little-endian samples read straight from flash (no copy into RAM).
struct Pcm16<'a>(&'a [u8]);

impl emovox_tiny::Signal for Pcm16<'_> {
    fn len(&self) -> usize {
        self.0.len() / 2
    }
    fn at(&self, i: usize) -> f32 {
        i16::from_le_bytes([self.0[2 * i], self.0[2 * i + 1]]) as f32 / 32768.0
    }
}

/// SysTick wraps (every 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Core-clock ticks since start (SysTick counts down from 2^24 - 1).
fn ticks() -> u64 {
    loop {
        let w = WRAPS.load(Ordering::Relaxed);
        let v = SYST::get_current();
        if WRAPS.load(Ordering::Relaxed) == w {
            return ((w as u64) << 24) + (0x00FF_FFFF - v) as u64;
        }
    }
}

fn word(b: &[u8], i: usize) -> usize {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]) as usize
}

#[entry]
fn main() -> ! {
    let mut p = Peripherals::take().unwrap();
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(0x00FF_FFFF);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    while SYST::get_current() == 0 {}
    // Calibration: a loop of a known 3 * 1_000_000 instructions (nop, subs, bne).
    let c0 = ticks();
    // SAFETY: a register-only loop.
    unsafe {
        core::arch::asm!("1:", "nop", "subs {0}, {0}, #1", "bne 1b", inout(reg) 1_000_000u32 => _);
    }
    let c1 = ticks();
    hprintln!("calibration 3000000 instructions {} ticks", c1 - c0);
    // SAFETY: the only references to these statics, taken once before anything else runs.
    let arena = unsafe { &mut (*core::ptr::addr_of_mut!(ARENA)).0 };
    let model = match emovox_tiny::Model::parse(MODEL) {
        Ok(m) => m,
        Err(e) => {
            hprintln!("error: {}", e);
            debug::exit(debug::EXIT_FAILURE);
            loop {}
        }
    };
    hprintln!("arena {} bytes (of {}), {} MACs", model.arena_bytes(), ARENA_BYTES, model.net.macs());
    let (n, stride) = (word(CLIPS, 0), word(CLIPS, 1));
    for c in 0..n {
        let head = 8 + (4 + 2 * stride) * c;
        let len = word(&CLIPS[head..], 0);
        let base = head + 4;
        let sig = &Pcm16(&CLIPS[base..base + 2 * len]);
        let t0 = ticks();
        let ok = model.front_end(sig, arena);
        let t1 = ticks();
        let out = ok.and_then(|()| model.run_input(arena));
        let t2 = ticks();
        match out {
            Ok(o) => {
                hprintln!("clip {} class {} {} logits {:?} front_end_ticks {} network_ticks {}", c, o.class, CLASSES[o.class], &o.logits[..model.classes], t1 - t0, t2 - t1);
            }
            Err(e) => hprintln!("clip {} error {}", c, e),
        }
    }
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
