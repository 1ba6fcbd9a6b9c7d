//! `anxin serve` and `anxin user create`: configuration (file, then `ANXIN_*` environment, then flags), logging,
//! the listeners, graceful shutdown.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use anxin_domain::Role;
use anxin_domain::input::{Name, NewPassword, Username};
use anxin_store::Store;
use anxin_web::{AppState, Config};

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Seed a demo shop (teams, agents, customers, conversations) if it does not exist yet.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: keep new customer messages coming, one every this many seconds (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub simulate_every: f64,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Default, Clone)]
pub struct CommonArgs {
    /// TOML configuration file (keys as in `anxin_web::Config`: listen, data_dir, database_url, …).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// Prometheus metrics listener, e.g. 127.0.0.1:9090 (off by default).
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// Data directory for the embedded SQLite database (default ./data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of SQLite.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long)]
    pub log_json: bool,
}

/// File, then environment, then flags: the later wins.
pub fn load_config(args: &CommonArgs) -> Result<Config> {
    let mut config: Config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => Config::default(),
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(v) = env("ANXIN_LISTEN") {
        config.listen = v;
    }
    if let Some(v) = env("ANXIN_METRICS_LISTEN") {
        config.metrics_listen = Some(v);
    }
    if let Some(v) = env("ANXIN_DATA_DIR") {
        config.data_dir = v.into();
    }
    if let Some(v) = env("ANXIN_DATABASE_URL") {
        config.database_url = Some(v);
    }
    if let Some(v) = env("ANXIN_MAX_MESSAGE_BYTES") {
        config.max_message_bytes = v.parse().context("ANXIN_MAX_MESSAGE_BYTES must be a number of bytes")?;
    }
    if let Some(v) = env("ANXIN_AUTO_ASSIGN") {
        config.auto_assign = match v.as_str() {
            "1" | "true" | "on" => true,
            "0" | "false" | "off" => false,
            _ => bail!("ANXIN_AUTO_ASSIGN must be true or false"),
        };
    }
    if let Some(v) = &args.listen {
        config.listen = v.clone();
    }
    if let Some(v) = &args.metrics_listen {
        config.metrics_listen = Some(v.clone());
    }
    if let Some(v) = &args.data_dir {
        config.data_dir = v.clone();
    }
    if let Some(v) = &args.database_url {
        config.database_url = Some(v.clone());
    }
    if config.max_message_bytes == 0 || config.max_message_bytes > 16 * 1024 * 1024 {
        bail!("max_message_bytes must be between 1 and 16 MiB");
    }
    Ok(config)
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ANXIN_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

pub fn serve(args: ServeArgs) -> Result<()> {
    init_logging(args.common.log_json);
    let config = load_config(&args.common)?;
    runtime()?.block_on(async move {
        let backend = config.backend();
        let store = Store::open(backend.clone()).await.with_context(|| format!("opening the database ({backend:?})"))?;
        let state = AppState::new(store.clone(), config.clone()).await?;
        if args.demo {
            let org = anxin_web::demo::seed(&store, state.analyzer).await.context("seeding the demo")?;
            tracing::info!(password = anxin_web::demo::DEMO_PASSWORD, "demo data ready: sign in as admin, supervisor or agent1 … agent8");
            if args.simulate_every > 0.0 {
                let every = Duration::from_secs_f64(args.simulate_every);
                let (store, analyzer) = (store.clone(), state.analyzer);
                tokio::spawn(async move {
                    if let Err(e) = anxin_web::demo::simulate(store, analyzer, org, every).await {
                        tracing::warn!(error = %e, "customer simulator stopped");
                    }
                });
            }
        }
        if let Some(addr) = &config.metrics_listen {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding metrics on {addr}"))?;
            let router = anxin_web::metrics::router(state.clone());
            let bound = listener.local_addr()?;
            tokio::spawn(async move { axum_serve(listener, router).await });
            tracing::info!(%bound, "metrics listening");
            println!("metrics on http://{bound}/metrics");
        }
        let shutdown = shutdown_signal().context("installing the SIGTERM / SIGINT handlers")?;
        let listener = tokio::net::TcpListener::bind(&config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        tracing::info!(addr = %listener.local_addr()?, "Anxin listening; open http://{}/", listener.local_addr()?);
        // The line tests and scripts wait for.
        println!("listening on http://{}", listener.local_addr()?);
        anxin_web::serve(listener, state, shutdown).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn axum_serve(listener: tokio::net::TcpListener, router: axum::Router) {
    let _ = axum::serve(listener, router).await;
}

/// Installs the SIGTERM / SIGINT handlers now and returns the future that completes on the first of them. Installing
/// them before the listener is bound matters: a handler installed lazily (on the future's first poll) left a window
/// after "listening" in which SIGTERM still killed the process outright instead of draining it.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! { _ = term.recv() => {}, _ = interrupt.recv() => {} }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

#[derive(Args, Debug)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub display_name: Option<String>,
    #[arg(long, default_value = "admin")]
    pub role: String,
    /// Read from the ANXIN_PASSWORD environment variable when not given (keeps it out of shell history).
    #[arg(long)]
    pub password: Option<String>,
    /// Organisation slug; created (named after it) if it does not exist.
    #[arg(long, default_value = "default")]
    pub organization: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn user_create(args: UserCreateArgs) -> Result<()> {
    let config = load_config(&args.common)?;
    let role = Role::parse(&args.role).with_context(|| format!("role must be one of {:?}", Role::spellings()))?;
    let username = Username::parse(&args.username)?;
    let display = Name::parse("display_name", args.display_name.as_deref().unwrap_or(&args.username))?;
    let password = match args.password {
        Some(p) => p,
        None => std::env::var("ANXIN_PASSWORD").context("give --password or set ANXIN_PASSWORD")?,
    };
    let password = NewPassword::parse(&password)?;
    runtime()?.block_on(async move {
        let store = Store::open(config.backend()).await?;
        let org = match store.organizations().await?.into_iter().find(|o| o.slug == args.organization) {
            Some(org) => org,
            None => store.create_organization(Name::parse("organization", &args.organization)?, &args.organization, "Asia/Shanghai").await?,
        };
        let hash = anxin_web::auth::hash_password(password.as_str());
        let new = anxin_store::NewUser { org_id: org.id, username, display_name: display, role, department: None, password_hash: hash };
        let user = store.create_user(new, Some("cli".into())).await?;
        store.close().await;
        println!("created {} ({}) in organisation {}", user.username, user.role, org.slug);
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct ReindexArgs {
    /// Only this organisation (slug); without it, every organisation.
    #[arg(long)]
    pub organization: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `anxin reindex`: the search index is a cache of the database. Rebuilds it here from the stored entries (which
/// checks every one still reads back through the domain's rules), reports what it holds, and asks every running
/// node to rebuild its own copy (a `knowledge_changed` event in the log they follow).
pub fn reindex(args: ReindexArgs) -> Result<()> {
    let config = load_config(&args.common)?;
    runtime()?.block_on(async move {
        let store = Store::open(config.backend()).await?;
        let orgs: Vec<_> = store
            .organizations()
            .await?
            .into_iter()
            .filter(|o| args.organization.as_deref().is_none_or(|slug| o.slug == slug))
            .collect();
        if orgs.is_empty() {
            anyhow::bail!("no organisation {}", args.organization.as_deref().unwrap_or(""));
        }
        for org in orgs {
            let started = std::time::Instant::now();
            let entries = store.published_entries(org.id).await?;
            let synonyms = match store.knowledge_synonyms(org.id).await? {
                Some(text) => anxin_search::Synonyms::parse(&text),
                None => anxin_search::Synonyms::default_list(),
            };
            let groups = synonyms.groups().len();
            let index = anxin_search::SearchIndex::new(synonyms)?;
            index.rebuild(&entries)?;
            let system = anxin_store::Principal { org_id: org.id, role: Role::Admin, user_id: None, name: "cli".into(), csrf_token: None };
            store.request_reindex(system).await?;
            println!(
                "{}: {} published entries, {} synonym groups, index built in {} ms; running nodes rebuild theirs",
                org.slug,
                index.len(),
                groups,
                started.elapsed().as_millis()
            );
        }
        store.close().await;
        Ok(())
    })
}
