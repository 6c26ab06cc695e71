"""Code for the other side of Aftercare's APIs: a client that acts as each party (retailer, customer channel,
centre, carrier, ops), and the webhook verifier a retailer copies into its receiver."""
