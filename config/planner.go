package config

import (
	"fmt"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// PlannerInput maps the planner's keys to a [planner.Input], topology included (auto, or
// the name the planner must report as its choice). AsOf is parsed as a UTC day;
// an empty AsOf leaves Input.AsOf zero (the planner then plans for today). Program-only
// keys (network, database, alarms) play no part in the plan. A malformed AsOf (a Config
// built by hand) is a *KeyError.
func (c Config) PlannerInput() (planner.Input, error) {
	var asOf time.Time
	if c.AsOf != "" {
		t, err := time.Parse(dateLayout, c.AsOf)
		if err != nil {
			return planner.Input{}, &KeyError{Key: ns("asOf"), Problem: fmt.Sprintf("%q is not a date YYYY-MM-DD", c.AsOf)}
		}
		asOf = t
	}
	var ipv6 *bool
	if c.SourceHasIPv6 != nil {
		v := *c.SourceHasIPv6
		ipv6 = &v
	}
	return planner.Input{
		Schedule:        c.Schedule,
		PayloadBytes:    c.PayloadBytes,
		CompressedBytes: c.CompressedBytes,
		Region:          c.Region,
		FreeTier:        planner.FreeTier(c.FreeTier),
		CreditsUSD:      c.CreditsUSD,
		MemoryMB:        c.MemoryMB,
		Architecture:    c.Architecture,
		FetchMillis:     c.FetchMillis,
		WriteMillis:     c.WriteMillis,
		SingleFunction:  c.SingleFunction,
		ExistingNAT:     c.ExistingNAT,
		SourceHasIPv6:   ipv6,
		Spill:           c.Spill,
		SourceHeaders:   c.SourceHeaders.IsSet(),
		AsOf:            asOf,
		Topology:        planner.Topology(c.Topology),
	}, nil
}

// Plan is a stack's plan: what [Config.Plan] returns.
type Plan struct {
	// Input is the planner input the report was made from, with the planner's defaults
	// applied: the memory and architecture it priced are the ones to deploy.
	Input planner.Input
	// Report is the planner's report; Report.Chosen is the topology to provision.
	Report *planner.Report
	// Book is the price book the report was priced with (the embedded one, or it overridden
	// by lambdabridge:pricesFile): the book to explore the plan with (planner.Explore).
	Book *planner.Book
}

// Plan turns the stack's config into a plan: the planner input of c (PlannerInput, with
// planner.Defaults), the price book (the embedded one, overridden by PricesFile) and
// planner.Plan. A value the planner refuses is a *KeyError on the key that set it (its Err
// is the planner's *planner.InputError, or *planner.TopologyError for a topology the
// planner finds invalid), so is a prices file that does not load (lambdabridge:pricesFile).
// Callers that measure or override a value (cmd/plan --sample, cmd/local --topology) set
// it on c first.
func (c Config) Plan() (Plan, error) { return c.PlanWith(nil) }

// PlanWith is [Config.Plan] with adjust applied to the planner input before the planner's
// defaults, for what no stack key sets (cmd/plan --from-metrics: the measured runs per
// month). A nil adjust is Plan.
func (c Config) PlanWith(adjust func(*planner.Input)) (Plan, error) {
	in, err := c.PlannerInput()
	if err != nil {
		return Plan{}, err
	}
	if adjust != nil {
		adjust(&in)
	}
	in = planner.Defaults(in)
	book, err := planner.LoadBook(c.PricesFile)
	if err != nil {
		if c.PricesFile == "" {
			return Plan{}, fmt.Errorf("embedded price book: %w", err) // ours: not bad input
		}
		return Plan{}, &KeyError{Key: ns("pricesFile"), Problem: err.Error(), Err: err}
	}
	r, err := planner.Plan(in, book)
	if err != nil {
		return Plan{}, keyed(err)
	}
	return Plan{Input: in, Report: r, Book: book}, nil
}
