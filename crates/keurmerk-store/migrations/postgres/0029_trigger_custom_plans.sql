-- The trigger functions of the label status read model and of search (migrations 0005, 0009,
-- 0016, 0021, 0023) are planned afresh on every call. PL/pgSQL keeps a statement's plan for the
-- life of the connection; a plan made while the tables were small (a new registry, or any table
-- never analysed) is a sequential scan, and kept so, each insert of a support commitment, SBOM or
-- certificate scanned every certificate: quadratic (measured: `demo --scale 1000000` fell to
-- ~300 certificates/s by 90,000 on PostgreSQL with autovacuum off, 3.5 ms per support commitment
-- row). A custom plan costs a few tens of microseconds per call and always sees the tables' size.
ALTER FUNCTION label_status_bump(TEXT) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION label_status_by_certificate() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION label_status_certificate() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION label_status_sbom() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION label_status_version() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION label_status_support() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION certificate_search_doc(TEXT) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION certificate_search_insert() SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION keurmerk_statement_from_log_queue() SET plan_cache_mode = force_custom_plan;
