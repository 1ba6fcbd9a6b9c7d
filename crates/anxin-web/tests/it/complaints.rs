//! Complaint tickets over HTTP against a real server.
