//! The server side of many connections: the lab's re-executed copy (`--serve MODEL`) accepts
//! exactly N connections, serves each the model's way, and exits 0 once every one has its
//! answer (1 if any went wrong).
//!
//! It speaks to the lab on its standard output: `port P` once it listens, `ready` once it has
//! accepted all N (so the lab knows every connection is open in the server at that moment).

use super::Model;
use crate::{REQUEST, RESPONSE};
use anyhow::{Context, ensure};
use kit::Children;
use nix::sys::socket::{self, Backlog, MsgFlags};
use nix::sys::wait::WaitStatus;
use nix::time::{ClockId, ClockNanosleepFlags, clock_nanosleep};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `connections` connections with `model`, holding each request `hold` before the
/// answer; the pool model uses `pool_threads` threads.
pub fn serve(
    model: Model,
    connections: usize,
    hold: Duration,
    pool_threads: usize,
) -> anyhow::Result<()> {
    // N clients connect at once: the longest queue of connections not yet accepted.
    let listener = crate::listen_on_loopback(Backlog::MAXCONN)?;
    println!("port {}", listener.local_addr()?.port());
    let failed = match model {
        Model::Threads => thread_per_connection(&listener, connections, hold)?,
        Model::Pool => fixed_pool(&listener, connections, hold, pool_threads)?,
        Model::Processes => process_per_connection(&listener, connections, hold)?,
        Model::Async => async_tasks(listener, connections, hold)?,
    };
    ensure!(failed == 0, "{failed} of {connections} connections failed");
    Ok(())
}

/// Tells the lab that all N connections are accepted. stdout is line-buffered (std's
/// `LineWriter`), so the line leaves at once.
fn ready() {
    println!("ready");
}

// ANCHOR: blocking
/// One connection served by a blocked thread: read the request line, wait for `hold`, answer,
/// shut down. The thread sleeps in recv(2) until the request comes (std's `TcpStream::read`
/// calls `recv`), then in its hold.
fn answer(mut stream: TcpStream, hold: Duration) -> io::Result<()> {
    let mut request = [0u8; 64];
    let mut len = 0;
    while !request[..len].ends_with(b"\n") && len < request.len() {
        match stream.read(&mut request[len..])? {
            0 => break,
            n => len += n,
        }
    }
    check_request(&request[..len])?;
    thread::sleep(hold);
    (&stream).write_all(RESPONSE)?;
    stream.shutdown(Shutdown::Write)
}

/// Every model reads the request into a small buffer on its stack (or in its task), not a
/// `BufReader`'s heap buffer, so that no model pays for buffers the others do not.
fn check_request(request: &[u8]) -> io::Result<()> {
    if request == REQUEST {
        Ok(())
    } else {
        Err(io::Error::other("not the request"))
    }
}

/// A thread per connection: N threads exist once all N are accepted.
fn thread_per_connection(
    listener: &TcpListener,
    connections: usize,
    hold: Duration,
) -> anyhow::Result<usize> {
    thread::scope(|scope| {
        let mut threads = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (stream, _) = listener.accept()?;
            // Builder rather than `scope.spawn`: a thread the kernel refuses (EAGAIN) is an
            // error here, not a panic.
            threads.push(
                thread::Builder::new()
                    .spawn_scoped(scope, move || answer(stream, hold))
                    .context("could not start a thread for a connection")?,
            );
        }
        ready();
        Ok(threads
            .into_iter()
            .map(|t| t.join())
            .filter(|r| !matches!(r, Ok(Ok(()))))
            .count())
    })
}

/// A fixed pool: `pool_threads` threads take accepted connections from one queue, one at a
/// time; the others wait their turn there.
fn fixed_pool(
    listener: &TcpListener,
    connections: usize,
    hold: Duration,
    pool_threads: usize,
) -> anyhow::Result<usize> {
    let (queue, from_queue) = mpsc::channel::<TcpStream>();
    let from_queue = &Mutex::new(from_queue);
    thread::scope(move |scope| {
        let work = move || {
            let mut failed = 0;
            // The lock is held only while taking the next connection: `recv` returns an error
            // once the acceptor has dropped its end and the queue is empty.
            while let Ok(stream) = from_queue
                .lock()
                .map_err(|_| ())
                .and_then(|q| q.recv().map_err(|_| ()))
            {
                failed += usize::from(answer(stream, hold).is_err());
            }
            failed
        };
        let workers = (0..pool_threads)
            .map(|_| thread::Builder::new().spawn_scoped(scope, work))
            .collect::<io::Result<Vec<_>>>()?;
        for _ in 0..connections {
            let (stream, _) = listener.accept()?;
            queue.send(stream)?;
        }
        ready();
        drop(queue);
        let mut failed = 0;
        for worker in workers {
            failed += worker.join().unwrap_or(connections);
        }
        Ok(failed)
    })
}
// ANCHOR_END: blocking

// ANCHOR: processes
/// A process per connection: the server (single-threaded: nothing here starts a thread) forks
/// a child for each accepted connection and closes its own copy of the socket.
fn process_per_connection(
    listener: &TcpListener,
    connections: usize,
    hold: Duration,
) -> anyhow::Result<usize> {
    let mut children = Children::new();
    for _ in 0..connections {
        let (stream, _) = listener.accept()?;
        let fd = stream.as_raw_fd();
        // The child makes only system calls, on its stack buffer. recv, send and shutdown are
        // async-signal-safe (signal-safety(7)); clock_nanosleep is not on that list, but glibc
        // makes it a bare system call (sysdeps/unix/sysv/linux/clock_nanosleep.c).
        // SAFETY: the child neither allocates nor locks, and this process has one thread, so
        // no lock can be held by another at the fork anyway.
        unsafe { children.spawn(|| answer_in_child(fd, hold)) }?;
        // The child has its own copy of the socket; the connection ends when it closes it.
        drop(stream);
    }
    ready();
    let statuses = children.wait_all()?;
    Ok(statuses
        .iter()
        .filter(|&&(pid, status)| status != WaitStatus::Exited(pid, 0))
        .count())
}

/// The child's whole life: system calls only, answer in a stack buffer, status 0 if all went
/// well.
fn answer_in_child(fd: RawFd, hold: Duration) -> i32 {
    let mut request = [0u8; 64];
    let mut len = 0;
    while !request[..len].ends_with(b"\n") && len < request.len() {
        match socket::recv(fd, &mut request[len..], MsgFlags::empty()) {
            Ok(0) | Err(_) => return crate::CHILD_IO_FAILED,
            Ok(n) => len += n,
        }
    }
    if &request[..len] != REQUEST {
        return crate::CHILD_WRONG_RESPONSE;
    }
    // A bare system call, as std's sleep is, without std.
    let hold = nix::sys::time::TimeSpec::from_duration(hold);
    if clock_nanosleep(
        ClockId::CLOCK_MONOTONIC,
        ClockNanosleepFlags::empty(),
        &hold,
    )
    .is_err()
    {
        return crate::CHILD_IO_FAILED;
    }
    let mut sent = 0;
    while sent < RESPONSE.len() {
        match socket::send(fd, &RESPONSE[sent..], MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => sent += n,
            Err(_) => return crate::CHILD_IO_FAILED,
        }
    }
    match socket::shutdown(fd, socket::Shutdown::Write) {
        Ok(()) => 0,
        Err(_) => crate::CHILD_IO_FAILED,
    }
}
// ANCHOR_END: processes

// ANCHOR: async
/// Async tasks: one tokio task per connection on a multi-thread runtime (as many worker
/// threads as CPUs, tokio's default). A task waiting for its request or its hold is a state
/// machine parked in the runtime, not a thread.
fn async_tasks(listener: TcpListener, connections: usize, hold: Duration) -> anyhow::Result<usize> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept().await?;
            tasks.spawn(answer_async(stream, hold));
        }
        ready();
        let mut failed = 0;
        while let Some(done) = tasks.join_next().await {
            failed += usize::from(!matches!(done, Ok(Ok(()))));
        }
        Ok(failed)
    })
}

/// [`answer`] as a task: each `.await` returns the worker thread to the runtime until the
/// socket is ready or the timer fires.
async fn answer_async(mut stream: tokio::net::TcpStream, hold: Duration) -> io::Result<()> {
    let mut request = [0u8; 64];
    let mut len = 0;
    while !request[..len].ends_with(b"\n") && len < request.len() {
        match stream.read(&mut request[len..]).await? {
            0 => break,
            n => len += n,
        }
    }
    check_request(&request[..len])?;
    tokio::time::sleep(hold).await;
    stream.write_all(RESPONSE).await?;
    stream.shutdown().await
}
// ANCHOR_END: async
