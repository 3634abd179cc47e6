"""`lautex demo`: a realistic demo register to try every command on.

Finnish names with ä, ö and å, organisations with valid business IDs, 200 customers
from every source, orders, and invoices open, paid and in collection; customers who
have been inactive for more than three years (some still owing, so retention holds
them), data subject requests open, overdue, due soon and closed, objections, a
publication ban, marketing consents, an organisation that prohibited marketing and
a restricted customer. The data is made up and seeded: every run on the same day
builds the same register (apart from the password, the times of day and the
register's secret).

- `data`: the made-up people, organisations and orders, as data;
- `story`: the steps that write them through the services, each on its day;
- `build`: the new file, filled by the story and published whole.

May import: every domain package, and `setup`.
"""
