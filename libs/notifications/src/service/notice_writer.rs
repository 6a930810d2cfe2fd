//! Group commit of notices: notices made at the same time (a burst of publications, each
//! telling its organization) are written together, one transaction for all of them, instead
//! of two write transactions each. A caller still returns only once its own notice is
//! committed, so it reads its write like before; it just shares the commit with the others.

use std::sync::{Arc, OnceLock};

use postiz_core::db::write_transaction;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use crate::repository::notifications::{self as repo, NoticeRow};

/// Notices one transaction takes at most; the rest wait for the next one.
const MAX_GROUP: usize = 256;

struct Pending {
    row: NoticeRow,
    written: oneshot::Sender<Result<(), String>>,
}

/// Writes notices through one background task per service, which takes every notice waiting
/// when it starts a transaction.
#[derive(Clone)]
pub(crate) struct NoticeWriter {
    db: DatabaseConnection,
    // Started on the first notice, from inside the runtime (the service may be built outside).
    queue: Arc<OnceLock<mpsc::UnboundedSender<Pending>>>,
}

impl NoticeWriter {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            queue: Arc::new(OnceLock::new()),
        }
    }

    /// Records the notice; returns once it is committed, or why it could not be.
    pub(crate) async fn write(&self, row: NoticeRow) -> Result<(), String> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(run(self.db.clone(), receiver));
            sender
        });
        let (written, done) = oneshot::channel();
        if let Err(mpsc::error::SendError(pending)) = queue.send(Pending { row, written }) {
            // The task is gone (it only ends with the service): write this one alone.
            return write_group(&self.db, vec![pending.row]).await;
        }
        done.await
            .unwrap_or_else(|_| Err("the notice writer stopped".to_string()))
    }
}

/// Ends when every handle on the queue is dropped.
async fn run(db: DatabaseConnection, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let rows: Vec<NoticeRow> = group.iter().map(|p| p.row.clone()).collect();
        match write_group(&db, rows).await {
            Ok(()) => {
                for pending in group.drain(..) {
                    let _ = pending.written.send(Ok(()));
                }
            }
            // One notice must not take the others down with it: each is tried on its own.
            Err(_) => {
                for pending in group.drain(..) {
                    let alone = write_group(&db, vec![pending.row]).await;
                    let _ = pending.written.send(alone);
                }
            }
        }
    }
}

async fn write_group(db: &DatabaseConnection, rows: Vec<NoticeRow>) -> Result<(), String> {
    write_transaction(db, |tx| {
        Box::pin(async move { repo::insert_notices(tx, &rows).await })
    })
    .await
    .map_err(|e| e.to_string())
}
