//! The accessors of an adapter's inner stream, written once.

/// Expands, inside an adapter's `impl<S, ..>` block, to the accessors listed
/// for its `stream: S` field (`get_ref`, `into_inner`), each with the docs
/// written at the call site (like futures-util's `delegate_access_inner!`,
/// but keeping every adapter's own examples).
macro_rules! inner_stream_access {
    ($(#[$doc:meta])* $vis:vis fn get_ref; $($rest:tt)*) => {
        $(#[$doc])*
        $vis fn get_ref(&self) -> &S {
            &self.stream
        }
        inner_stream_access!($($rest)*);
    };
    ($(#[$doc:meta])* $vis:vis fn into_inner; $($rest:tt)*) => {
        $(#[$doc])*
        $vis fn into_inner(self) -> S {
            self.stream
        }
        inner_stream_access!($($rest)*);
    };
    () => {};
}

pub(crate) use inner_stream_access;
