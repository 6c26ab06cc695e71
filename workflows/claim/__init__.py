"""The claim workflow (`ClaimWorkflow`, id `claim-<RMA>`), one module per concept: see workflow.py."""
