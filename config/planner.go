package config

import (
	"fmt"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// PlannerInput maps the planner's keys to a [planner.Input], topology included (auto, or
// the name the planner must report as its choice). AsOf is parsed as a UTC day;
// an empty AsOf leaves Input.AsOf zero (the planner then plans for today). Program-only
// keys (network, database, alarms) play no part in the plan.
func (c Config) PlannerInput() (planner.Input, error) {
	var asOf time.Time
	if c.AsOf != "" {
		t, err := time.Parse(dateLayout, c.AsOf)
		if err != nil {
			return planner.Input{}, fmt.Errorf("config %s: %q is not a date YYYY-MM-DD", ns("asOf"), c.AsOf)
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
		AsOf:            asOf,
		Topology:        planner.Topology(c.Topology),
	}, nil
}
