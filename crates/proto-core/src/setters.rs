//! The builder-style setters every configuration of the workspace has, written once.

/// Writes, for a configuration type, one `with_<field>(value) -> Self` setter per entry, each
/// with its doc comment and `#[must_use]`: the naming table's "configuration setters" row.
///
/// ```
/// #[derive(Default)]
/// pub struct Config {
///     /// The host name.
///     pub hostname: String,
/// }
///
/// proto_core::with_setters! {
///     Config {
///         /// Sets [`hostname`](Config::hostname).
///         with_hostname: hostname: String,
///     }
/// }
///
/// assert_eq!(Config::default().with_hostname("mx".into()).hostname, "mx");
/// ```
#[macro_export]
macro_rules! with_setters {
    ($type:ty { $($(#[$doc:meta])* $name:ident : $field:ident : $ty:ty),* $(,)? }) => {
        impl $type {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}
