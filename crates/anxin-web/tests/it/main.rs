//! HTTP and WebSocket stories against a real server on a random port: SQLite always, PostgreSQL too when
//! `ANXIN_TEST_POSTGRES_URL` is set (a set but unreachable URL fails).

mod admin;
mod browser;
mod first_paint;
mod knowledge;
mod outage;
mod pages;
mod stories;
mod support;
mod workspace;
mod webdriver;
mod wellbeing;
mod protection;
mod complaints;
mod feedback;
mod sla;
mod ticket_pages;
mod knowledge_pages;
mod roleplay;
mod training;
mod academy_story;
mod training_cases;
