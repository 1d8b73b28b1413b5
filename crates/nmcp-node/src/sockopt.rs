//! TCP socket options that Node's `net` API does not expose.
//!
//! `socket.setKeepAlive(true, delay)` sets only the idle time before the first probe; the probe interval, the probe
//! count, TCP_USER_TIMEOUT and (portably) the kernel buffer sizes need `setsockopt` on the socket's descriptor, which JS
//! passes in from `socket._handle.fd`. Each option is set where the OS has it; the result is a bitmask of the options
//! that were applied (bit order below, mirrored by `SocketOptionBit` in src/native/binding-types.ts), so the caller can
//! report the rest as not applied. Nothing here panics or returns an error for an OS that lacks an option.

// Off Unix the option numbers and the unit conversion have no caller (Node gives no descriptor there).
#![cfg_attr(not(unix), allow(dead_code))]

use napi_derive::napi;

/// Bits of the applied-options mask (same order as the fields of `SocketOptionValues` and the `get` output).
pub const KEEP_ALIVE_IDLE: u32 = 1;
pub const KEEP_ALIVE_INTERVAL: u32 = 1 << 1;
pub const KEEP_ALIVE_PROBES: u32 = 1 << 2;
pub const USER_TIMEOUT: u32 = 1 << 3;
pub const SEND_BUFFER_SIZE: u32 = 1 << 4;
pub const RECV_BUFFER_SIZE: u32 = 1 << 5;

/// The values to set; an absent field is left as it is.
#[napi(object)]
#[derive(Default)]
pub struct SocketOptionValues {
    /// Idle time before the first keep-alive probe (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS), ms, rounded up to seconds.
    pub keep_alive_idle_ms: Option<u32>,
    /// Time between unanswered probes (TCP_KEEPINTVL), ms, rounded up to seconds.
    pub keep_alive_interval_ms: Option<u32>,
    /// Unanswered probes before the connection is dropped (TCP_KEEPCNT).
    pub keep_alive_probes: Option<u32>,
    /// How long sent data may stay unacknowledged before the connection is dropped (TCP_USER_TIMEOUT, Linux), ms.
    pub user_timeout_ms: Option<u32>,
    /// SO_SNDBUF, bytes (Linux reports back twice the value: it counts its bookkeeping).
    pub send_buffer_size: Option<u32>,
    /// SO_RCVBUF, bytes.
    pub recv_buffer_size: Option<u32>,
}

/// Sets the given options on `fd`; returns the bitmask of those applied. A negative fd (Windows, where Node gives
/// none) applies nothing.
pub fn set(fd: i32, values: &SocketOptionValues) -> u32 {
    if fd < 0 {
        return 0;
    }
    imp::set(fd, values)
}

/// Reads the six options back into `out[0..6]` in the units of `SocketOptionValues` (ms, count, bytes); -1 where the
/// OS has no such option or the call failed.
pub fn get(fd: i32, out: &mut [i32]) {
    for v in out.iter_mut() {
        *v = -1;
    }
    if fd >= 0 {
        imp::get(fd, out);
    }
}

/// Milliseconds to whole seconds, rounded up, at least 1 (0 would mean "off" or be refused by the kernel).
fn ms_to_secs(ms: u32) -> i32 {
    i32::try_from(ms.div_ceil(1000).max(1)).unwrap_or(i32::MAX)
}

#[cfg(unix)]
mod imp {
    use super::*;
    use libc::{c_int, c_void, socklen_t};

    fn set_int(fd: i32, level: c_int, name: c_int, value: i32) -> bool {
        let v: c_int = value;
        // SAFETY: `v` lives across the call and its size is passed; setsockopt only reads it. An fd that is not a
        // socket, or an option this socket does not take, makes the call fail with an errno, which we report.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&v as *const c_int).cast::<c_void>(),
                std::mem::size_of::<c_int>() as socklen_t,
            )
        };
        rc == 0
    }

    fn get_int(fd: i32, level: c_int, name: c_int) -> Option<i32> {
        let mut v: c_int = 0;
        let mut len = std::mem::size_of::<c_int>() as socklen_t;
        // SAFETY: `v` and `len` are valid for writes for the whole call, and `len` holds the size of `v`.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                level,
                name,
                (&mut v as *mut c_int).cast::<c_void>(),
                &mut len,
            )
        };
        (rc == 0).then_some(v)
    }

    fn to_i32(v: u32) -> i32 {
        i32::try_from(v).unwrap_or(i32::MAX)
    }

    /// (idle, interval, count) option names where the OS has them.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    const KEEPALIVE: Option<(c_int, c_int, c_int)> =
        Some((libc::TCP_KEEPIDLE, libc::TCP_KEEPINTVL, libc::TCP_KEEPCNT));
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    const KEEPALIVE: Option<(c_int, c_int, c_int)> =
        Some((libc::TCP_KEEPALIVE, libc::TCP_KEEPINTVL, libc::TCP_KEEPCNT));
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "macos",
        target_os = "ios"
    )))]
    const KEEPALIVE: Option<(c_int, c_int, c_int)> = None;

    #[cfg(any(target_os = "linux", target_os = "android"))]
    const USER_TIMEOUT_OPT: Option<c_int> = Some(libc::TCP_USER_TIMEOUT);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const USER_TIMEOUT_OPT: Option<c_int> = None;

    pub fn set(fd: i32, v: &SocketOptionValues) -> u32 {
        let mut applied = 0;
        let mut apply = |bit: u32, ok: bool| {
            if ok {
                applied |= bit;
            }
        };
        if let Some((idle, intvl, cnt)) = KEEPALIVE {
            if let Some(ms) = v.keep_alive_idle_ms {
                apply(
                    KEEP_ALIVE_IDLE,
                    set_int(fd, libc::IPPROTO_TCP, idle, ms_to_secs(ms)),
                );
            }
            if let Some(ms) = v.keep_alive_interval_ms {
                apply(
                    KEEP_ALIVE_INTERVAL,
                    set_int(fd, libc::IPPROTO_TCP, intvl, ms_to_secs(ms)),
                );
            }
            if let Some(n) = v.keep_alive_probes {
                apply(
                    KEEP_ALIVE_PROBES,
                    set_int(fd, libc::IPPROTO_TCP, cnt, to_i32(n)),
                );
            }
        }
        if let (Some(name), Some(ms)) = (USER_TIMEOUT_OPT, v.user_timeout_ms) {
            apply(
                USER_TIMEOUT,
                set_int(fd, libc::IPPROTO_TCP, name, to_i32(ms)),
            );
        }
        if let Some(n) = v.send_buffer_size {
            apply(
                SEND_BUFFER_SIZE,
                set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, to_i32(n)),
            );
        }
        if let Some(n) = v.recv_buffer_size {
            apply(
                RECV_BUFFER_SIZE,
                set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, to_i32(n)),
            );
        }
        applied
    }

    pub fn get(fd: i32, out: &mut [i32]) {
        let secs_to_ms = |s: i32| s.saturating_mul(1000);
        let mut put = |i: usize, v: Option<i32>| {
            if let (Some(slot), Some(v)) = (out.get_mut(i), v) {
                *slot = v;
            }
        };
        if let Some((idle, intvl, cnt)) = KEEPALIVE {
            put(0, get_int(fd, libc::IPPROTO_TCP, idle).map(secs_to_ms));
            put(1, get_int(fd, libc::IPPROTO_TCP, intvl).map(secs_to_ms));
            put(2, get_int(fd, libc::IPPROTO_TCP, cnt));
        }
        if let Some(name) = USER_TIMEOUT_OPT {
            put(3, get_int(fd, libc::IPPROTO_TCP, name));
        }
        put(4, get_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF));
        put(5, get_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF));
    }
}

#[cfg(not(unix))]
mod imp {
    use super::SocketOptionValues;

    // Node gives no descriptor on Windows (fd is -1), so `set`/`get` return before reaching here; this keeps the
    // crate building there.
    pub fn set(_fd: i32, _v: &SocketOptionValues) -> u32 {
        0
    }

    pub fn get(_fd: i32, _out: &mut [i32]) {}
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn rounds_ms_up_to_whole_seconds() {
        assert_eq!(ms_to_secs(0), 1);
        assert_eq!(ms_to_secs(1), 1);
        assert_eq!(ms_to_secs(3_000), 3);
        assert_eq!(ms_to_secs(3_001), 4);
    }

    #[test]
    fn negative_fd_applies_nothing_and_reads_nothing() {
        let values = SocketOptionValues {
            send_buffer_size: Some(65_536),
            ..Default::default()
        };
        assert_eq!(set(-1, &values), 0);
        let mut out = [0; 6];
        get(-1, &mut out);
        assert_eq!(out, [-1; 6]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sets_and_reads_back_on_a_tcp_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let values = SocketOptionValues {
            keep_alive_idle_ms: Some(30_000),
            keep_alive_interval_ms: Some(3_000),
            keep_alive_probes: Some(3),
            user_timeout_ms: Some(39_000),
            send_buffer_size: Some(131_072),
            recv_buffer_size: Some(131_072),
        };
        assert_eq!(set(stream.as_raw_fd(), &values), 0b11_1111);
        let mut out = [0; 6];
        get(stream.as_raw_fd(), &mut out);
        assert_eq!(&out[..4], &[30_000, 3_000, 3, 39_000]);
        assert!(out[4] >= 131_072 && out[5] >= 131_072, "{out:?}");
    }
}
