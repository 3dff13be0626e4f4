// Package defaults fills the zero fields of trackerkit's Config structs
// with their documented defaults: one rule per kind of field, so that every
// package reads "zero means the default" the same way.
//
// Each default stays where it is documented: its exported constant and the
// field's doc in the package that owns the Config. Only the rule for
// replacing a value lives here:
//
//   - Positive: a count, size or duration that means nothing at or below
//     zero (zero and negative values take the default);
//   - Unset: any comparable field whose zero value ("", nil, 0) means the
//     default (every other value is kept, negative numbers included);
//   - OffBelowZero: a number whose zero value means the default and whose
//     negative values mean "none" or "off" (they become 0).
package defaults
