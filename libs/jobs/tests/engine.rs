//! End-to-end tests of the job engine on SQLite (always) and PostgreSQL (when
//! `TEST_DATABASE_URL` names a server, e.g. `postgres://postgres@127.0.0.1:5432/postgres`; each
//! test creates and drops its own database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Process, TestDb, counter, fast_config, histogram, wait_for_status, wait_until};
use postiz_jobs::{
    CancellationToken, JobContext, JobOutcome, JobRequest, PushOutcome, QueueOptions, TakenSlot,
    WorkerRuntime,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    id: u32,
}

/// Runs a scenario on SQLite and, when configured, on PostgreSQL.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let db = super::TestDb::sqlite().await;
                    super::$scenario(&db).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    match super::TestDb::postgres().await {
                        Some(db) => super::$scenario(&db).await,
                        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
                    }
                }
            }
        )*
    };
}

on_both_backends!(
    delayed_jobs_run_once_at_their_time,
    duplicate_push_is_one_execution,
    retry_at_pushes_a_follow_up_and_failed_is_final,
    concurrency_limit_holds_across_processes,
    lease_of_a_killed_process_expires,
    released_slot_lingers_with_its_process,
    job_of_a_killed_worker_is_run_again,
    shutdown_lets_in_flight_jobs_finish,
    periodic_task_runs_at_start_and_is_shared,
    dispatchers_share_a_queue,
    handler_holds_the_slot_only_where_it_takes_it,
);

/// `handler_takes_slot`: the jobs of a limit-1 key run their work outside the slot together
/// (the worker holds nothing), only the part inside `take_slot` is one at a time, and a job
/// that finds no slot within `slot_wait` is deferred and still runs once.
async fn handler_holds_the_slot_only_where_it_takes_it(db: &TestDb) {
    let queue = format!("own-slot-{}", db.label);
    let key = format!("provider:own-slot:{}", db.label);
    let mut config = fast_config();
    // Shorter than the 4 jobs' turns in the slot (4 × 300 ms): some must be deferred.
    config.slot_wait = Duration::from_millis(400);
    let jobs = db.process(config).await;
    let outside = Arc::new(AtomicUsize::new(0));
    let max_outside = Arc::new(AtomicUsize::new(0));
    let inside = Arc::new(AtomicUsize::new(0));
    let max_inside = Arc::new(AtomicUsize::new(0));
    let done: Arc<Mutex<Vec<u32>>> = Arc::default();
    let mut runtime = WorkerRuntime::new(jobs.clone());
    let counters = (
        outside.clone(),
        max_outside.clone(),
        inside.clone(),
        max_inside.clone(),
        done.clone(),
    );
    runtime.register(
        &queue,
        QueueOptions::new().concurrency(4).handler_takes_slot(),
        move |item: Item, ctx: JobContext| {
            let (outside, max_outside, inside, max_inside, done) = counters.clone();
            async move {
                let now = outside.fetch_add(1, Ordering::SeqCst) + 1;
                max_outside.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                outside.fetch_sub(1, Ordering::SeqCst);
                let slot = match ctx.take_slot().await {
                    Ok(TakenSlot::Held(slot)) => slot,
                    Ok(TakenSlot::Unavailable) => return JobOutcome::deferred("no slot"),
                    other => return JobOutcome::failed(format!("unexpected {other:?}")),
                };
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_inside.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                slot.release().await.unwrap();
                done.lock().unwrap().push(item.id);
                JobOutcome::Done
            }
        },
    );
    let running = runtime.start(CancellationToken::new()).unwrap();
    for id in 0..4_u32 {
        jobs.push(
            JobRequest::new(&queue, &Item { id })
                .key(format!("own-slot:{id}"))
                .limit(&key, 1),
        )
        .await
        .unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(30), || done.lock().unwrap().len() >= 4).await,
        "only {:?} of 4 jobs ran",
        done.lock().unwrap()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ids = done.lock().unwrap().clone();
    ids.sort_unstable();
    assert_eq!(ids, vec![0, 1, 2, 3], "each job exactly once");
    assert_eq!(
        max_inside.load(Ordering::SeqCst),
        1,
        "one at a time in the slot"
    );
    assert!(
        max_outside.load(Ordering::SeqCst) >= 2,
        "the worker held no slot: several jobs ran their part outside it together"
    );
    let deferred = counter("jobs_deferred_total", &queue);
    assert!(deferred >= 1, "a job that found no slot was deferred");
    println!(
        "[{}] outside the slot at once: {}, deferrals {deferred}",
        db.label,
        max_outside.load(Ordering::SeqCst)
    );
    running.shutdown().await;
}

/// Three apalis workers on one queue, 2 jobs each at once: the burst is taken by several of
/// them in parallel (more than 2 in flight), never more than the queue's 6, each job once.
async fn dispatchers_share_a_queue(db: &TestDb) {
    let queue = format!("dispatched-{}", db.label);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let done: Arc<Mutex<Vec<u32>>> = Arc::default();
    let jobs = db.process(fast_config()).await;
    let mut runtime = WorkerRuntime::new(jobs.clone());
    let (flight, max, finished) = (in_flight.clone(), max_seen.clone(), done.clone());
    runtime.register(
        &queue,
        QueueOptions::new().concurrency(6).dispatchers(3),
        move |item: Item, _: JobContext| {
            let (flight, max, finished) = (flight.clone(), max.clone(), finished.clone());
            async move {
                let now = flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                flight.fetch_sub(1, Ordering::SeqCst);
                finished.lock().unwrap().push(item.id);
                JobOutcome::Done
            }
        },
    );
    let running = runtime.start(CancellationToken::new()).unwrap();
    for id in 0..30_u32 {
        jobs.push(JobRequest::new(&queue, &Item { id }).key(format!("d:{id}")))
            .await
            .unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(30), || done.lock().unwrap().len() >= 30).await,
        "only {} of 30 jobs ran",
        done.lock().unwrap().len()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ids = done.lock().unwrap().clone();
    ids.sort_unstable();
    assert_eq!(ids, (0..30).collect::<Vec<_>>(), "each job exactly once");
    let max = max_seen.load(Ordering::SeqCst);
    assert!(
        (3..=6).contains(&max),
        "{max} jobs ran at once: expected several dispatchers (more than one's 2) and at most 6"
    );
    running.shutdown().await;
}

type Stamp = chrono::DateTime<Utc>;
type Runs = Arc<Mutex<Vec<(u32, Stamp, u32)>>>;

/// A handler that records (payload id, start time, attempt) and succeeds.
fn recording(runs: Runs) -> impl Fn(Item, JobContext) -> std::future::Ready<JobOutcome> {
    move |item: Item, ctx: JobContext| {
        runs.lock()
            .unwrap()
            .push((item.id, Utc::now(), ctx.attempt()));
        std::future::ready(JobOutcome::Done)
    }
}

async fn delayed_jobs_run_once_at_their_time(db: &TestDb) {
    let queue = format!("delayed-{}", db.label);
    let runs: Runs = Arc::default();
    let worker_jobs = db.process(fast_config()).await;
    let mut runtime = WorkerRuntime::new(worker_jobs);
    runtime.register(&queue, QueueOptions::new(), recording(runs.clone()));
    let shutdown = CancellationToken::new();
    let running = runtime.start(shutdown.clone()).unwrap();

    // Pushed by another "process": no in-process wake-up, the poll must find them.
    let pusher = db.process(fast_config()).await;
    let now = Utc::now();
    let offsets_ms = [1_300_i64, 1_750, 2_100, 2_600, 3_050];
    let mut due = HashMap::new();
    for (i, offset) in offsets_ms.iter().enumerate() {
        let at = now + chrono::Duration::milliseconds(*offset);
        let id = u32::try_from(i).unwrap();
        due.insert(id, at);
        let pushed = pusher
            .push(JobRequest::new(&queue, &Item { id }).at(at))
            .await
            .unwrap();
        assert!(pushed.is_new());
    }
    // An immediate job: picked up at the next poll.
    let immediate_at = Utc::now();
    due.insert(99, immediate_at);
    pusher
        .push(JobRequest::new(&queue, &Item { id: 99 }))
        .await
        .unwrap();

    assert!(
        wait_until(Duration::from_secs(8), || runs.lock().unwrap().len() >= 6).await,
        "not every job ran: {:?}",
        runs.lock().unwrap()
    );
    // Nothing runs twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 6, "{runs:?}");
    let mut worst = 0_i64;
    for (id, started, attempt) in &runs {
        assert_eq!(*attempt, 1);
        let lateness = (*started - due[id]).num_milliseconds();
        assert!(lateness >= -5, "job {id} started {lateness} ms early");
        assert!(lateness < 1000, "job {id} started {lateness} ms late");
        worst = worst.max(lateness);
    }
    println!(
        "[{}] pickup lateness ms: {:?}; worst {worst} ms (poll interval 200 ms)",
        db.label,
        runs.iter()
            .map(|(id, s, _)| (*id, (*s - due[id]).num_milliseconds()))
            .collect::<Vec<_>>()
    );
    assert_eq!(counter("jobs_started_total", &queue), 6);
    assert_eq!(counter("jobs_succeeded_total", &queue), 6);
    assert_eq!(histogram("job_lateness_seconds", &queue).len(), 6);
    running.shutdown().await;
}

async fn duplicate_push_is_one_execution(db: &TestDb) {
    let queue = format!("dedupe-{}", db.label);
    let key = "post:42:v1:publish";
    let a = db.process(fast_config()).await;
    let b = db.process(fast_config()).await;
    let at = Utc::now() + chrono::Duration::milliseconds(800);

    let first = a
        .push(JobRequest::new(&queue, &Item { id: 1 }).at(at).key(key))
        .await
        .unwrap();
    let PushOutcome::Scheduled { job_id } = first.clone() else {
        panic!("first push not scheduled: {first:?}");
    };
    // Same key from another process, and a burst of concurrent duplicates from both.
    let again = b
        .push(JobRequest::new(&queue, &Item { id: 2 }).at(at).key(key))
        .await
        .unwrap();
    assert_eq!(
        again,
        PushOutcome::AlreadyScheduled {
            job_id: Some(job_id.clone())
        }
    );
    let mut burst = Vec::new();
    for i in 0..6_u32 {
        let jobs = if i % 2 == 0 { a.clone() } else { b.clone() };
        let queue = queue.clone();
        burst.push(tokio::spawn(async move {
            jobs.push(JobRequest::new(&queue, &Item { id: 10 + i }).key(key))
                .await
        }));
    }
    for push in burst {
        let outcome = push.await.unwrap().unwrap();
        assert!(!outcome.is_new(), "duplicate stored: {outcome:?}");
    }
    // The same key on another queue is another job.
    let other_queue = format!("{queue}-other");
    assert!(
        a.push(JobRequest::new(&other_queue, &Item { id: 3 }).key(key))
            .await
            .unwrap()
            .is_new()
    );

    let runs: Runs = Arc::default();
    let mut runtime = WorkerRuntime::new(a.clone());
    runtime.register(&queue, QueueOptions::new(), recording(runs.clone()));
    let running = runtime.start(CancellationToken::new()).unwrap();
    assert!(wait_until(Duration::from_secs(5), || !runs.lock().unwrap().is_empty()).await);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    {
        let runs = runs.lock().unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].0, 1, "the first payload wins");
    }
    let record = a.find(&queue, key).await.unwrap().unwrap();
    assert_eq!(record.id, job_id);
    // The key stays taken after the job ran: a late duplicate does not run it again.
    let late = b
        .push(JobRequest::new(&queue, &Item { id: 4 }).key(key))
        .await
        .unwrap();
    assert!(!late.is_new());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(runs.lock().unwrap().len(), 1);
    assert_eq!(counter("jobs_push_duplicates_total", &queue), 8);
    running.shutdown().await;
    let record = a.find(&queue, key).await.unwrap().unwrap();
    assert_eq!(record.status, "Done");
}

async fn retry_at_pushes_a_follow_up_and_failed_is_final(db: &TestDb) {
    let retry_queue = format!("retry-{}", db.label);
    let fail_queue = format!("fail-{}", db.label);
    let comment_queue = format!("comments-{}", db.label);
    let jobs = db.process(fast_config()).await;
    let runs: Arc<Mutex<Vec<(u32, Stamp)>>> = Arc::default();
    let failures = Arc::new(AtomicUsize::new(0));
    let comments: Arc<Mutex<Vec<String>>> = Arc::default();

    let mut runtime = WorkerRuntime::new(jobs.clone());
    {
        let runs = runs.clone();
        let comment_queue = comment_queue.clone();
        runtime.register(
            &retry_queue,
            QueueOptions::new(),
            move |_: Item, ctx: JobContext| {
                let runs = runs.clone();
                let comment_queue = comment_queue.clone();
                async move {
                    runs.lock().unwrap().push((ctx.retries(), Utc::now()));
                    if ctx.retries() == 0 {
                        return JobOutcome::retry_after(Duration::from_secs(1), "rate limited");
                    }
                    // A follow-up step ("first comment after its delay"), keyed from this job.
                    let step = JobRequest::new(&comment_queue, &Item { id: 1 })
                        .after(Duration::from_millis(300))
                        .key(ctx.follow_up_key("comment:1"));
                    match ctx.push(step).await {
                        Ok(_) => JobOutcome::Done,
                        Err(e) => JobOutcome::failed(e.to_string()),
                    }
                }
            },
        );
    }
    {
        let failures = failures.clone();
        runtime.register(
            &fail_queue,
            QueueOptions::new().timeout(Duration::from_millis(500)),
            move |item: Item, _: JobContext| {
                failures.fetch_add(1, Ordering::SeqCst);
                assert_ne!(item.id, 4, "a handler that panics");
                async move {
                    if item.id == 5 {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    JobOutcome::failed("bad body: the network refused the post")
                }
            },
        );
    }
    {
        let comments = comments.clone();
        runtime.register(
            &comment_queue,
            QueueOptions::new(),
            move |_: Item, ctx: JobContext| {
                comments
                    .lock()
                    .unwrap()
                    .push(ctx.key().unwrap_or_default().to_string());
                std::future::ready(JobOutcome::Done)
            },
        );
    }
    let running = runtime.start(CancellationToken::new()).unwrap();

    jobs.push(JobRequest::new(&retry_queue, &Item { id: 1 }).key("job:1"))
        .await
        .unwrap();
    jobs.push(JobRequest::new(&fail_queue, &Item { id: 2 }).key("job:2"))
        .await
        .unwrap();
    // A payload that does not fit the handler's type is a recorded failure too, and so are a
    // panic and a timeout.
    jobs.push(JobRequest::new(&fail_queue, &"not an item").key("job:3"))
        .await
        .unwrap();
    jobs.push(JobRequest::new(&fail_queue, &Item { id: 4 }).key("job:4"))
        .await
        .unwrap();
    jobs.push(JobRequest::new(&fail_queue, &Item { id: 5 }).key("job:5"))
        .await
        .unwrap();

    assert!(wait_until(Duration::from_secs(6), || runs.lock().unwrap().len() >= 2).await);
    {
        let runs = runs.lock().unwrap();
        let gap = (runs[1].1 - runs[0].1).num_milliseconds();
        assert_eq!(runs[1].0, 1, "the follow-up knows it is retry 1");
        assert!((950..2000).contains(&gap), "retry ran after {gap} ms");
    }
    let original = jobs.find(&retry_queue, "job:1").await.unwrap().unwrap();
    assert_eq!(original.status, "Done");
    assert!(original.last_result.unwrap_or_default().contains("retry"));
    let follow_up = wait_for_status(
        &jobs,
        &retry_queue,
        "job:1:retry1",
        "Done",
        Duration::from_secs(3),
    )
    .await;
    assert_eq!(follow_up.as_deref(), Some("Done"));
    assert_eq!(counter("jobs_retried_total", &retry_queue), 1);
    // The follow-up step ran once, under its derived key.
    let status = wait_for_status(
        &jobs,
        &comment_queue,
        "job:1:comment:1",
        "Done",
        Duration::from_secs(3),
    )
    .await;
    assert_eq!(status.as_deref(), Some("Done"));
    assert_eq!(
        *comments.lock().unwrap(),
        vec!["job:1:comment:1".to_string()]
    );

    // Failed: recorded and not run again.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        failures.load(Ordering::SeqCst),
        3,
        "each failing job ran once"
    );
    for (key, why) in [
        ("job:2", "bad body"),
        ("job:3", "does not fit"),
        ("job:4", "panicked"),
        ("job:5", "timed out"),
    ] {
        let record = jobs.find(&fail_queue, key).await.unwrap().unwrap();
        assert_eq!(record.status, "Failed", "{key}");
        let result = record.last_result.unwrap_or_default();
        assert!(result.contains(why), "{key}: {result}");
    }
    assert_eq!(counter("jobs_failed_total", &fail_queue), 4);
    assert_eq!(runs.lock().unwrap().len(), 2);
    running.shutdown().await;
}

async fn concurrency_limit_holds_across_processes(db: &TestDb) {
    let queue = format!("limited-{}", db.label);
    let limit_key = format!("provider:linkedin:{}", db.label);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let done: Arc<Mutex<Vec<(u32, &'static str)>>> = Arc::default();

    // Two independent "processes": own pools, own runtimes, same database.
    let mut running = Vec::new();
    for process in ["a", "b"] {
        // Process b gives up waiting for a slot quickly and defers (re-pushes) the job.
        let mut config = fast_config();
        if process == "b" {
            config.slot_wait = Duration::from_millis(100);
        }
        let jobs = db.process(config).await;
        let mut runtime = WorkerRuntime::new(jobs);
        let (in_flight, max_seen, done) = (in_flight.clone(), max_seen.clone(), done.clone());
        runtime.register(
            &queue,
            QueueOptions::new().concurrency(4),
            move |item: Item, _: JobContext| {
                let (in_flight, max_seen, done) =
                    (in_flight.clone(), max_seen.clone(), done.clone());
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    done.lock().unwrap().push((item.id, process));
                    JobOutcome::Done
                }
            },
        );
        running.push(runtime.start(CancellationToken::new()).unwrap());
    }

    let pusher = db.process(fast_config()).await;
    for id in 0..12_u32 {
        pusher
            .push(
                JobRequest::new(&queue, &Item { id })
                    .key(format!("publish:{id}"))
                    .limit(&limit_key, 2),
            )
            .await
            .unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(30), || done.lock().unwrap().len() >= 12).await,
        "only {} of 12 jobs ran",
        done.lock().unwrap().len()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let done = done.lock().unwrap().clone();
    let mut ids: Vec<u32> = done.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..12).collect::<Vec<_>>(), "each job exactly once");
    let max = max_seen.load(Ordering::SeqCst);
    assert_eq!(
        max, 2,
        "at most 2 at once across processes, and the 2 slots were used"
    );
    let by_a = done.iter().filter(|(_, p)| *p == "a").count();
    println!(
        "[{}] max concurrency {max}; process a ran {by_a}, b ran {}; deferrals {}",
        db.label,
        12 - by_a,
        counter("jobs_deferred_total", &queue)
    );
    assert_eq!(
        pusher.limiter().held(&limit_key).await.unwrap(),
        0,
        "every slot released"
    );
    for r in running {
        r.shutdown().await;
    }
}

async fn released_slot_lingers_with_its_process(db: &TestDb) {
    let key = format!("provider:linger:{}", db.label);
    // Long enough for the checks below to run inside it on a loaded machine.
    let mut config = fast_config();
    config.lease_linger = Duration::from_secs(1);
    let linger = config.lease_linger;
    let a = db.process(config.clone()).await;
    let b = db.process(config).await;

    let guard = a.limiter().try_acquire(&key, 1).await.unwrap().unwrap();
    let slot = guard.slot();
    guard.release().await.unwrap();
    // Released, but the row stays with process a for the next job of a...
    assert_eq!(a.limiter().held(&key).await.unwrap(), 1, "lease lingers");
    assert!(
        b.limiter().try_acquire(&key, 1).await.unwrap().is_none(),
        "another process waits out the linger"
    );
    // ...which takes it over: same slot, still one row.
    let guard = a.limiter().try_acquire(&key, 1).await.unwrap().unwrap();
    assert_eq!(guard.slot(), slot);
    assert!(a.limiter().try_acquire(&key, 1).await.unwrap().is_none());
    assert_eq!(a.limiter().held(&key).await.unwrap(), 1);
    guard.release().await.unwrap();

    // Nobody takes it: the row is deleted after the linger and b gets the slot.
    let released = Instant::now();
    let mut taken = None;
    while released.elapsed() < linger * 10 {
        if let Some(guard) = b.limiter().try_acquire(&key, 1).await.unwrap() {
            taken = Some(guard);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let guard = taken.expect("the lingering lease was never deleted");
    println!(
        "[{}] slot free for another process {:?} after release (linger {linger:?})",
        db.label,
        released.elapsed()
    );
    assert_eq!(a.limiter().held(&key).await.unwrap(), 1, "only b's lease");
    guard.release().await.unwrap();
}

async fn lease_of_a_killed_process_expires(db: &TestDb) {
    let key = format!("provider:x:{}", db.label);
    let config = fast_config();
    let ttl = config.lease_ttl;
    let main = db.process(config.clone()).await;

    // Graceful release frees the slot for this process at once.
    let limiter = main.limiter();
    let guard = limiter.try_acquire(&key, 1).await.unwrap().unwrap();
    assert!(limiter.try_acquire(&key, 1).await.unwrap().is_none());
    guard.release().await.unwrap();
    let guard = limiter.try_acquire(&key, 1).await.unwrap().unwrap();
    guard.release().await.unwrap();

    // A process takes the only slot, renews it for a while, then dies.
    let (taken_tx, taken_rx) = tokio::sync::oneshot::channel();
    let url = db.url.clone();
    let process_key = key.clone();
    let process = Process::spawn(move || async move {
        let db = sea_orm::Database::connect(&url).await.unwrap();
        let jobs = postiz_jobs::JobQueue::from_connection(&db, fast_config()).unwrap();
        // Waits out the linger of the slot the main process just released.
        let guard = jobs
            .limiter()
            .acquire(
                &process_key,
                1,
                Duration::from_secs(5),
                &CancellationToken::new(),
            )
            .await
            .unwrap()
            .unwrap();
        // Held by a task of the process: lives (and renews) until the process is killed.
        tokio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        let _ = taken_tx.send(());
    });
    taken_rx.await.unwrap();
    // Renewed past its first TTL: still held.
    tokio::time::sleep(ttl + Duration::from_millis(500)).await;
    assert!(
        limiter.try_acquire(&key, 1).await.unwrap().is_none(),
        "renewed lease is held"
    );
    assert_eq!(limiter.held(&key).await.unwrap(), 1);

    process.kill();
    let killed = Instant::now();
    assert!(
        limiter.try_acquire(&key, 1).await.unwrap().is_none(),
        "not freed by the kill"
    );
    let mut reacquired = None;
    while killed.elapsed() < ttl * 3 {
        if let Some(guard) = limiter.try_acquire(&key, 1).await.unwrap() {
            reacquired = Some(guard);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waited = killed.elapsed();
    let guard = reacquired.expect("the slot of the killed process was never freed");
    println!(
        "[{}] slot of killed process free again after {waited:?} (ttl {ttl:?})",
        db.label
    );
    assert!(
        waited <= ttl + Duration::from_millis(500),
        "freed after {waited:?}"
    );
    guard.release().await.unwrap();
}

async fn job_of_a_killed_worker_is_run_again(db: &TestDb) {
    let queue = format!("crash-{}", db.label);
    let config = fast_config();
    let started_in_b = Arc::new(AtomicUsize::new(0));

    // Process B takes the job and dies in the middle of it.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let url = db.url.clone();
    let b_queue = queue.clone();
    let b_started = started_in_b.clone();
    let process_b = Process::spawn(move || async move {
        let db = sea_orm::Database::connect(&url).await.unwrap();
        let jobs = postiz_jobs::JobQueue::from_connection(&db, fast_config()).unwrap();
        let mut runtime = WorkerRuntime::new(jobs);
        runtime.register(
            &b_queue,
            QueueOptions::new(),
            move |_: Item, _: JobContext| {
                b_started.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    JobOutcome::Done
                }
            },
        );
        // Dropping the handle detaches the workers: they run until the process dies.
        drop(runtime.start(CancellationToken::new()).unwrap());
        let _ = ready_tx.send(());
    });
    ready_rx.await.unwrap();

    let jobs = db.process(config.clone()).await;
    jobs.push(JobRequest::new(&queue, &Item { id: 7 }).key("crash:7"))
        .await
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || started_in_b
            .load(Ordering::SeqCst)
            == 1)
        .await,
        "process B never took the job"
    );

    // Process A works the same queue; it must not take the job while B is alive.
    let runs: Runs = Arc::default();
    let mut runtime = WorkerRuntime::new(jobs.clone());
    runtime.register(&queue, QueueOptions::new(), recording(runs.clone()));
    let running_a = runtime.start(CancellationToken::new()).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(runs.lock().unwrap().is_empty(), "taken from a live worker");

    process_b.kill();
    let killed = Instant::now();
    assert!(
        wait_until(Duration::from_secs(15), || !runs.lock().unwrap().is_empty()).await,
        "the job of the killed worker never ran again"
    );
    let waited = killed.elapsed();
    let orphan = config.orphan_timeout();
    println!(
        "[{}] job re-run {waited:?} after the kill (orphan timeout {orphan:?}, heartbeat {:?})",
        db.label, config.heartbeat_interval
    );
    let runs_now = runs.lock().unwrap().clone();
    assert_eq!(runs_now.len(), 1);
    assert_eq!(runs_now[0].2, 2, "the re-run knows it is the second run");
    // Not before the orphan timeout minus the age of B's last heartbeat (seconds resolution).
    assert!(
        waited >= orphan.saturating_sub(config.heartbeat_interval + Duration::from_millis(1000))
    );
    assert!(
        waited <= orphan + config.heartbeat_interval * 2 + Duration::from_secs(2),
        "re-run took {waited:?}"
    );
    let status = wait_for_status(&jobs, &queue, "crash:7", "Done", Duration::from_secs(3)).await;
    assert_eq!(status.as_deref(), Some("Done"));
    assert_eq!(started_in_b.load(Ordering::SeqCst), 1);
    running_a.shutdown().await;
}

async fn shutdown_lets_in_flight_jobs_finish(db: &TestDb) {
    let queue = format!("graceful-{}", db.label);
    let jobs = db.process(fast_config()).await;
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let mut runtime = WorkerRuntime::new(jobs.clone());
    {
        let (started, finished) = (started.clone(), finished.clone());
        runtime.register(
            &queue,
            QueueOptions::new(),
            move |_: Item, _: JobContext| {
                let (started, finished) = (started.clone(), finished.clone());
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1200)).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                    JobOutcome::Done
                }
            },
        );
    }
    let shutdown = CancellationToken::new();
    let running = runtime.start(shutdown.clone()).unwrap();
    jobs.push(JobRequest::new(&queue, &Item { id: 1 }).key("slow:1"))
        .await
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)
            == 1)
        .await
    );

    let asked = Instant::now();
    shutdown.cancel();
    running.join().await;
    let took = asked.elapsed();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the in-flight job finished"
    );
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    let record = jobs.find(&queue, "slow:1").await.unwrap().unwrap();
    assert_eq!(
        record.status, "Done",
        "its result was written before the worker stopped"
    );

    // Jobs pushed after the shutdown stay queued for the next process.
    jobs.push(JobRequest::new(&queue, &Item { id: 2 }).key("slow:2"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(started.load(Ordering::SeqCst), 1);
    let pending = jobs.find(&queue, "slow:2").await.unwrap().unwrap();
    assert_eq!(pending.status, "Pending");
}

async fn periodic_task_runs_at_start_and_is_shared(db: &TestDb) {
    let name = format!("sweep-{}", db.label);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut running = Vec::new();
    for _ in 0..2 {
        let jobs = db.process(fast_config()).await;
        let mut runtime = WorkerRuntime::new(jobs);
        let runs = runs.clone();
        runtime.periodic(&name, Duration::from_secs(1), move || {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), String>(()) }
        });
        running.push(runtime.start(CancellationToken::new()).unwrap());
    }
    // Both processes sweep at start.
    assert!(
        wait_until(Duration::from_millis(800), || runs.load(Ordering::SeqCst)
            == 2)
        .await
    );
    tokio::time::sleep(Duration::from_millis(2600)).await;
    // Then one run per tick (~1 s, ~2 s) between both processes: 2 + 2. Unshared ticks would
    // make it 2 + 2 × 2.
    let total = runs.load(Ordering::SeqCst);
    println!(
        "[{}] periodic runs in ~2.6 s over 2 processes: {total}",
        db.label
    );
    assert_eq!(total, 4, "{total} runs");
    for r in running {
        r.shutdown().await;
    }
}

#[tokio::test]
async fn connect_by_url_picks_the_backend() {
    let db = TestDb::sqlite().await;
    let jobs = postiz_jobs::JobQueue::connect(&db.url, fast_config())
        .await
        .unwrap();
    assert_eq!(jobs.backend(), postiz_jobs::BackendKind::Sqlite);
    let pushed = jobs
        .push(JobRequest::new("by-url", &Item { id: 1 }).key("k"))
        .await
        .unwrap();
    assert_eq!(
        jobs.find("by-url", "k").await.unwrap().map(|r| r.id),
        pushed.job_id().map(str::to_string)
    );
    if let Some(pg) = TestDb::postgres().await {
        let jobs = postiz_jobs::JobQueue::connect(&pg.url, fast_config())
            .await
            .unwrap();
        assert_eq!(jobs.backend(), postiz_jobs::BackendKind::Postgres);
        assert!(
            jobs.push(JobRequest::new("by-url", &Item { id: 1 }).key("k"))
                .await
                .unwrap()
                .is_new()
        );
    }
    let err = postiz_jobs::JobQueue::connect("mysql://u:secret@localhost/db", fast_config())
        .await
        .unwrap_err();
    assert!(matches!(err, postiz_jobs::JobError::UnsupportedUrl(_)));
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn invalid_registrations_and_config_are_refused() {
    let db = TestDb::sqlite().await;
    let jobs = db.process(fast_config()).await;
    let mut runtime = WorkerRuntime::new(jobs.clone());
    runtime.register("twice", QueueOptions::new(), recording(Arc::default()));
    runtime.register("twice", QueueOptions::new(), recording(Arc::default()));
    assert!(runtime.start(CancellationToken::new()).is_err());

    let bad = postiz_jobs::JobsConfig {
        heartbeat_interval: Duration::from_millis(1500),
        ..fast_config()
    };
    assert!(bad.validate().is_err());
    let bad = postiz_jobs::JobsConfig {
        missed_heartbeats: 1,
        ..fast_config()
    };
    assert!(postiz_jobs::JobQueue::connect(&db.url, bad).await.is_err());
    assert!(postiz_jobs::JobsConfig::default().validate().is_ok());
    assert_eq!(
        postiz_jobs::JobsConfig::default().orphan_timeout(),
        Duration::from_secs(30)
    );
    // A limit of zero and an empty queue name are refused at push.
    assert!(
        jobs.push(JobRequest::new("q", &1).limit("provider:x", 0))
            .await
            .is_err()
    );
    assert!(jobs.push(JobRequest::new("", &1)).await.is_err());
}
