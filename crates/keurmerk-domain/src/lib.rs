//! keurmerk-domain (under construction)
