//! Business-hours arithmetic for SLAs (PRODUCT.md §6): working calendars, deadlines in business time.
