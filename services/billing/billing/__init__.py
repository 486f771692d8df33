"""Fees, invoices, payments, exemptions, waivers and refunds (DESIGN.md section 4). Issue 3 fills this in."""
