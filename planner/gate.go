package planner

import "fmt"

// Gate is a budget check of a report's total: it fails when the total exceeds the maximum
// (a total equal to it passes). cmd/plan's --max-monthly is one; it exits 3 when it fails.
type Gate struct {
	// MaxMonthlyUSD is the maximum monthly total allowed.
	MaxMonthlyUSD float64 `json:"maxMonthlyUSD"`
	// TotalMonthlyUSD is the report's total (Report.TotalMonthlyUSD).
	TotalMonthlyUSD float64 `json:"totalMonthlyUSD"`
	// Passed says whether TotalMonthlyUSD <= MaxMonthlyUSD.
	Passed bool `json:"passed"`
}

// CheckGate checks r's total against maxUSD.
func CheckGate(r *Report, maxUSD float64) Gate {
	return Gate{MaxMonthlyUSD: maxUSD, TotalMonthlyUSD: r.TotalMonthlyUSD, Passed: r.TotalMonthlyUSD <= maxUSD}
}

// String is the verdict in one line: "budget passed: $21.01/month is within $25.00/month"
// or "budget FAILED: $29.37/month exceeds $25.00/month by $4.37".
func (g Gate) String() string {
	if g.Passed {
		return fmt.Sprintf("budget passed: %s/month is within %s/month", Money(g.TotalMonthlyUSD), Money(g.MaxMonthlyUSD))
	}
	return fmt.Sprintf("budget FAILED: %s/month exceeds %s/month by %s", Money(g.TotalMonthlyUSD), Money(g.MaxMonthlyUSD), Money(micro(g.TotalMonthlyUSD-g.MaxMonthlyUSD)))
}
