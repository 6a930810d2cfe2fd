//! Databases for the migration tests: a SQLite file, or a fresh PostgreSQL database on the
//! server of TEST_DATABASE_URL.

#![allow(dead_code)]

use std::path::PathBuf;

use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A database of its own, removed by [`TestDatabase::remove`].
pub struct TestDatabase {
    pub db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres {
        admin: DatabaseConnection,
        name: String,
    },
}

pub async fn sqlite() -> TestDatabase {
    let dir = std::env::temp_dir().join(format!("postiz-migrations-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/migrations.db?mode=rwc", dir.display());
    TestDatabase {
        db: Database::connect(&url).await.unwrap(),
        cleanup: Cleanup::Dir(dir),
    }
}

/// `None` (and a line on stderr) when TEST_DATABASE_URL is not set.
pub async fn postgres() -> Option<TestDatabase> {
    let Some(server) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return None;
    };
    let name = format!("postiz_migrations_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    // postgres://user@host:port/database?options: the same URL with another database.
    let (address, options) = match server.split_once('?') {
        Some((address, options)) => (address, format!("?{options}")),
        None => (server.as_str(), String::new()),
    };
    let (base, _) = address
        .rsplit_once('/')
        .expect("a database in TEST_DATABASE_URL");
    Some(TestDatabase {
        db: Database::connect(format!("{base}/{name}{options}"))
            .await
            .unwrap(),
        cleanup: Cleanup::Postgres { admin, name },
    })
}

impl TestDatabase {
    pub async fn remove(self) {
        self.db.close().await.unwrap();
        match self.cleanup {
            Cleanup::Dir(dir) => std::fs::remove_dir_all(dir).unwrap(),
            Cleanup::Postgres { admin, name } => {
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .unwrap();
            }
        }
    }
}
