//! keurmerk-store (under construction)
