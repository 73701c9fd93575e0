//! keurmerk-service (under construction)
