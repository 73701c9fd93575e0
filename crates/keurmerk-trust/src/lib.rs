//! keurmerk-trust (under construction)
