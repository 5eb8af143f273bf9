//! Several boxoffice processes on one PostgreSQL database.
