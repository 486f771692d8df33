"""The billing service: the fee schedule, invoices, payments through a provider, exemptions, waivers,
refunds by named rules, and the scheduler of reminders, deadlines, payouts and escalations."""
