//! keurmerk-server (under construction)
