//! The genicam camera backend for axvs (not implemented yet: see the project's open issues).
