//! netshape: a TCP proxy that makes loopback behave like a network link.
//!
//! The kernel here has no traffic shaping, so the benchmarks put this proxy between a copying
//! process and a PostgreSQL server. Each direction is one shaped link shared by all connections:
//! a token bucket paces the bytes to the link rate (serialisation), then a delay line holds every
//! chunk for the one-way delay (propagation) before it is written on. Payload bytes per direction
//! are counted and written to a stats file, so the benchmark can report bytes on the wire.
//!
//! Usage: netshape --listen 127.0.0.1:P --connect 127.0.0.1:Q --rate 100mbit --delay 10ms
//!        [--stats FILE]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Largest chunk read at once; small enough that pacing stays smooth.
const CHUNK: usize = 16 * 1024;
/// Chunks a delay line holds at most (bounds memory; far above rate × delay at 1 Gbit/50 ms).
const IN_FLIGHT: usize = 1024;

#[derive(Debug)]
struct Args {
    listen: String,
    connect: String,
    /// Bytes per second; 0 = unlimited.
    rate: f64,
    delay: Duration,
    stats: Option<PathBuf>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut listen = None;
    let mut connect = None;
    let mut rate = 0.0;
    let mut delay = Duration::ZERO;
    let mut stats = None;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value()?),
            "--connect" => connect = Some(value()?),
            "--rate" => rate = parse_rate(&value()?)?,
            "--delay" => delay = parse_delay(&value()?)?,
            "--stats" => stats = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen HOST:PORT is required")?,
        connect: connect.ok_or("--connect HOST:PORT is required")?,
        rate,
        delay,
        stats,
    })
}

/// `100mbit`, `1gbit`, `500kbit`, `0` (unlimited) → bytes per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a rate; write e.g. 100mbit"))?;
    let bits = match unit {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        _ => return Err(format!("unknown rate unit in {text:?}; use kbit, mbit or gbit")),
    };
    Ok(n * bits / 8.0)
}

/// `10ms`, `1.5ms`, `0` → a duration.
fn parse_delay(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let number = t.strip_suffix("ms").unwrap_or(t);
    let ms: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a delay; write e.g. 10ms"))?;
    if !(0.0..=10_000.0).contains(&ms) {
        return Err(format!("delay {text:?} is out of range (0 to 10000 ms)"));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// One direction of the link, shared by every connection through the proxy.
struct Link {
    rate: f64,
    delay: Duration,
    /// When the link is free again (the pacing clock of the token bucket).
    free_at: Mutex<Instant>,
    bytes: AtomicU64,
}

impl Link {
    fn new(rate: f64, delay: Duration) -> Self {
        Self {
            rate,
            delay,
            free_at: Mutex::new(Instant::now()),
            bytes: AtomicU64::new(0),
        }
    }

    /// Waits until `n` bytes have been serialised onto the link; returns when they are sent.
    fn pace(&self, n: usize) -> Instant {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if self.rate <= 0.0 {
            return Instant::now();
        }
        let cost = Duration::from_secs_f64(n as f64 / self.rate);
        let done = {
            let mut free_at = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            // An idle link does not bank more than a few milliseconds of credit (the bucket size).
            let floor = now.checked_sub(Duration::from_millis(2)).unwrap_or(now);
            let start = (*free_at).max(floor);
            *free_at = start + cost;
            *free_at
        };
        sleep_until(done);
        done
    }
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        thread::sleep(t - now);
    }
}

/// Copies `from` to `to` through `link`: a reader paces chunks onto the link, a writer delivers
/// each chunk once its one-way delay has passed.
fn pump(from: TcpStream, to: TcpStream, link: Arc<Link>) {
    let (tx, rx) = sync_channel::<Option<(Instant, Vec<u8>)>>(IN_FLIGHT);
    let writer = thread::spawn(move || deliver(rx, to));
    read_side(from, &tx, &link);
    drop(tx);
    if writer.join().is_err() {
        eprintln!("netshape: a writer thread panicked");
    }
}

fn read_side(mut from: TcpStream, tx: &SyncSender<Option<(Instant, Vec<u8>)>>, link: &Link) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let sent = link.pace(n);
        if tx.send(Some((sent + link.delay, buf[..n].to_vec()))).is_err() {
            break;
        }
    }
    // End of stream travels through the delay line like data.
    if tx.send(None).is_err() {
        // The writer is gone already: nothing left to deliver.
    }
    if from.shutdown(Shutdown::Read).is_err() {
        // Already closed.
    }
}

fn deliver(rx: Receiver<Option<(Instant, Vec<u8>)>>, mut to: TcpStream) {
    while let Ok(Some((due, data))) = rx.recv() {
        sleep_until(due);
        if to.write_all(&data).is_err() {
            break;
        }
    }
    if to.shutdown(Shutdown::Write).is_err() {
        // Already closed.
    }
}

fn serve(client: TcpStream, upstream: &str, up: Arc<Link>, down: Arc<Link>) {
    let server = match TcpStream::connect(upstream) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netshape: cannot connect to {upstream}: {e}");
            return;
        }
    };
    for s in [&client, &server] {
        if s.set_nodelay(true).is_err() {
            eprintln!("netshape: could not set TCP_NODELAY");
        }
    }
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        eprintln!("netshape: could not clone a socket");
        return;
    };
    let upward = thread::spawn(move || pump(client, server, up));
    pump(server2, client2, down);
    if upward.join().is_err() {
        eprintln!("netshape: a pump thread panicked");
    }
}

/// Rewrites the stats file: `up_bytes down_bytes connections` (up = client to server).
fn write_stats(path: &PathBuf, up: &Link, down: &Link, conns: u64) {
    let tmp = path.with_extension("tmp");
    let text = format!(
        "{} {} {}\n",
        up.bytes.load(Ordering::Relaxed),
        down.bytes.load(Ordering::Relaxed),
        conns
    );
    if std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)).is_err() {
        eprintln!("netshape: cannot write {}", path.display());
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("netshape: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("netshape: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let up = Arc::new(Link::new(args.rate, args.delay));
    let down = Arc::new(Link::new(args.rate, args.delay));
    let conns = Arc::new(AtomicU64::new(0));
    if let Some(path) = args.stats.clone() {
        let (up, down, conns) = (Arc::clone(&up), Arc::clone(&down), Arc::clone(&conns));
        thread::spawn(move || {
            loop {
                write_stats(&path, &up, &down, conns.load(Ordering::Relaxed));
                thread::sleep(Duration::from_millis(100));
            }
        });
    }
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        conns.fetch_add(1, Ordering::Relaxed);
        let (up, down, upstream) = (Arc::clone(&up), Arc::clone(&down), args.connect.clone());
        thread::spawn(move || serve(client, &upstream, up, down));
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_delays_parse() {
        assert_eq!(parse_rate("100mbit"), Ok(12_500_000.0));
        assert_eq!(parse_rate("1gbit"), Ok(125_000_000.0));
        assert_eq!(parse_rate("0"), Ok(0.0));
        assert!(parse_rate("fast").is_err());
        assert_eq!(parse_delay("10ms"), Ok(Duration::from_millis(10)));
        assert!(parse_delay("-1ms").is_err());
    }

    #[test]
    fn pacing_holds_the_rate() {
        // 10 MB/s: 1 MB takes about 100 ms.
        let link = Link::new(10_000_000.0, Duration::ZERO);
        let start = Instant::now();
        for _ in 0..64 {
            link.pace(CHUNK);
        }
        let took = start.elapsed().as_secs_f64();
        assert!(took >= 0.09, "1 MiB at 10 MB/s took only {took:.3} s");
        assert_eq!(link.bytes.load(Ordering::Relaxed), 64 * CHUNK as u64);
    }

    #[test]
    fn bytes_arrive_intact_and_late() {
        let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
        let up_addr = upstream.local_addr().unwrap().to_string();
        let echo = thread::spawn(move || {
            let (mut s, _) = upstream.accept().unwrap();
            let mut data = Vec::new();
            s.read_to_end(&mut data).unwrap();
            s.write_all(&data).unwrap();
        });
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        let up = Arc::new(Link::new(0.0, Duration::from_millis(30)));
        let down = Arc::new(Link::new(0.0, Duration::from_millis(30)));
        let (u, d) = (Arc::clone(&up), Arc::clone(&down));
        thread::spawn(move || {
            let (c, _) = proxy.accept().unwrap();
            serve(c, &up_addr, u, d);
        });
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let start = Instant::now();
        let mut c = TcpStream::connect(proxy_addr).unwrap();
        c.write_all(&payload).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        echo.join().unwrap();
        assert_eq!(back, payload);
        assert!(start.elapsed() >= Duration::from_millis(60), "no round-trip delay");
        assert_eq!(up.bytes.load(Ordering::Relaxed), payload.len() as u64);
        assert_eq!(down.bytes.load(Ordering::Relaxed), payload.len() as u64);
    }
}
