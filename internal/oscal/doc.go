// Package oscal reads OSCAL 1.1 catalogs and profiles (JSON), validates
// them with an error that names the first problem by its JSON path,
// resolves a profile against the catalogs and profiles it imports, and
// writes the system-security-plan and assessment-results documents kubu
// exports.
//
// It depends on nothing else in kubu.
package oscal
