// Package report writes tsid's records as people and programs read them:
// a table in the spirit of FMC's connection events, JSON Lines (the
// contract documented in the README), CSV, the summary line, and the
// per-rule report of `tsid rules check` (Check). Every name is shown as
// sent but escaped, so that nothing in a capture can drive a terminal or
// a spreadsheet.
//
//	w := report.New("table", os.Stdout, report.Options{})
//	an.Analyze(ctx, name, r, func(rec *analysis.Record) { w.Write(rec) })
//	w.Close(&sum)
package report
