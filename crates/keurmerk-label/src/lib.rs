//! keurmerk-label (under construction)
