//! keurmerk-tlog (under construction)
