//! Complaint tickets against both backends.
