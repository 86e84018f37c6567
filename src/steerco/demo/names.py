"""Word lists the demo company is made of: people, units, objectives, metrics, work."""

from __future__ import annotations

COMPANIES = ["Northwind Group", "Contoso Retail", "Fabrikam Holdings", "Tailspin Trading",
             "Alpine Ridge Group", "Blue Harbor Retail"]

FIRST_NAMES = """Anna Ben Clara David Elena Felix Greta Hugo Ines Jonas Katrin Lukas Maria Noah
Olivia Paul Quentin Rosa Samuel Tanja Ulrich Vera William Xenia Yusuf Zoe Amelie Bruno Chiara
Dario Emma Fabian Giulia Hannah Ivan Julia Karl Laura Marco Nina Oscar Petra Rafael Sofia
Thomas Uma Valentin Wiebke Aylin Bastian Carla Dominik Eva Florian Gabriel Helena Isabel Jan
Kerstin Leon Mila Niklas Ole Pia Robert Sara Tobias Ursula Viktor Amir Beatriz Chen Daniela
Elif Farid Grace Hiroshi Ingrid Jakub Kofi Lea Mateo Nadia Omar Priya Ravi Selin Tomasz
Aisha Bjorn Camille Diego Fatima Gustav Henrik Irene Joao Katarzyna Liam Mei Nils Paula
Sven Theresa Vincent Yara""".split()  # noqa: SIM905 (a word list reads better)

LAST_NAMES = """Schmidt Muller Rossi Garcia Novak Jansen Andersen Dubois Kowalski Nielsen Bauer
Weber Fischer Meyer Wagner Becker Hoffmann Schulz Koch Richter Klein Wolf Neumann Schwarz
Zimmermann Braun Kruger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Bianchi
Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Martin Bernard Thomas Petit Robert
Richard Durand Leroy Moreau Simon Laurent Lefebvre Michel Fernandez Lopez Martinez Sanchez
Perez Gomez Ruiz Diaz Moreno Alvarez Silva Santos Ferreira Pereira Oliveira Costa Smith
Jones Taylor Brown Williams Wilson Evans Thompson Walsh Murphy OBrien Kelly Byrne Ryan Larsen
Berg Lindqvist Nilsson Eriksson Johansson Virtanen Korhonen Horvath Nagy Popescu Ionescu
Yilmaz Kaya Demir Sahin Ahmed Khan Patel Singh Kumar Tanaka Suzuki Wang Li Zhang""".split()  # noqa: SIM905

REGIONS = ["North", "South", "East", "West", "Central", "Benelux", "DACH", "Nordics",
           "Iberia", "UK & Ireland", "France", "Italy", "Poland", "Baltics", "Alps", "Online"]

#: Business units and the departments each of them is made of.
BUSINESS_UNITS: dict[str, list[str]] = {
    "Retail": ["Store Operations", "Merchandising", "Pricing", "Loss Prevention",
               "Store Development", "Regional Sales"],
    "Wholesale": ["Key Account Management", "Field Sales", "Trade Marketing",
                  "Customer Onboarding", "Sales Operations"],
    "Digital": ["E-commerce", "Data & Analytics", "Platform Engineering", "CRM & Loyalty",
                "UX & Design", "Mobile Apps"],
    "Supply Chain": ["Logistics", "Warehousing", "Procurement", "Demand Planning",
                     "Transport", "Quality Assurance"],
    "Finance": ["Controlling", "Accounting", "Treasury", "Tax", "FP&A", "Internal Audit"],
    "People & Culture": ["Talent Acquisition", "Learning & Development",
                         "Compensation & Benefits", "HR Operations", "Workplace Safety"],
    "Technology": ["Infrastructure", "Enterprise Applications", "Cyber Security",
                   "Service Desk", "Architecture"],
    "Customer Service": ["Contact Centre", "Returns & Repairs", "Customer Insights",
                         "Complaints Handling"],
}

TEAMS = ["Planning", "Analytics", "Operations", "Projects", "Quality", "Reporting",
         "Systems", "Service", "Field Team", "Key Accounts", "Onboarding", "Process Excellence",
         "Automation", "Partnerships", "Compliance", "Delivery"]

STAFF_TITLES = ["Analyst", "Senior Analyst", "Specialist", "Manager", "Senior Manager",
                "Coordinator", "Consultant", "Engineer", "Senior Engineer", "Associate",
                "Lead", "Controller", "Planner", "Business Partner"]

THEMES = [
    ("Profitable growth", "Grow revenue faster than the market while protecting margin."),
    ("Customer first", "Win and keep customers through service they recommend."),
    ("Operational excellence", "Lean, reliable processes from supplier to shelf."),
    ("People & capability", "A safe, engaged workforce with the skills we need next."),
    ("Digital everywhere", "Data and automation in every process and channel."),
]

#: Objective titles per balanced-scorecard perspective.
OBJECTIVES: dict[str, list[str]] = {
    "financial": ["Grow revenue profitably", "Reduce cost to serve", "Improve gross margin",
                  "Free up working capital", "Hit the savings programme",
                  "Grow share of wallet with key accounts", "Lift return on capital"],
    "customer": ["Delight customers at every touchpoint", "Win back lapsed customers",
                 "Make delivery promises we keep", "Grow the loyalty base",
                 "Cut complaints in half", "Become the easiest retailer to buy from"],
    "internal_process": ["Make the supply chain reliable", "Shorten the order cycle",
                         "Automate manual back-office work", "Improve forecast accuracy",
                         "Ship software faster and safer", "Run zero-defect operations",
                         "Right-size inventory"],
    "learning_growth": ["Build a data-driven culture", "Keep our best people",
                        "Grow leaders from within", "Make every site safe",
                        "Upskill teams for automation", "Hire faster and better"],
}

#: Metric templates: name, unit, direction, baseline, target change (relative for EUR and
#: count, absolute otherwise), indicator, perspective.
METRICS: list[tuple[str, str, str, float, float, str, str]] = [
    ("Net revenue", "EUR", "increase_to", 4.0e6, 0.08, "lagging", "financial"),
    ("Gross margin", "%", "stay_at_or_above", 38.0, 1.5, "lagging", "financial"),
    ("Cost to serve per order", "EUR", "decrease_to", 12.5, -0.10, "lagging", "financial"),
    ("Operating expenses", "EUR", "stay_at_or_below", 1.5e6, -0.03, "lagging", "financial"),
    ("Days sales outstanding", "days", "decrease_to", 52.0, -8.0, "lagging", "financial"),
    ("Realised savings", "EUR", "increase_to", 2.0e5, 1.5, "lagging", "financial"),
    ("Average basket value", "EUR", "increase_to", 38.0, 0.06, "leading", "financial"),
    ("Net promoter score", "score", "increase_to", 31.0, 8.0, "lagging", "customer"),
    ("Customer satisfaction", "score", "stay_at_or_above", 4.2, 0.1, "lagging", "customer"),
    ("Repeat purchase rate", "%", "increase_to", 28.0, 5.0, "lagging", "customer"),
    ("Complaints per 10k orders", "count", "decrease_to", 42.0, -0.30, "lagging", "customer"),
    ("Online conversion rate", "%", "increase_to", 2.1, 0.5, "leading", "customer"),
    ("Active loyalty members", "count", "increase_to", 1.2e5, 0.15, "leading", "customer"),
    ("Delivery promise kept", "%", "increase_to", 91.0, 5.0, "leading", "customer"),
    ("On-time delivery", "%", "increase_to", 90.0, 6.0, "leading", "internal_process"),
    ("Order cycle time", "days", "decrease_to", 4.2, -1.2, "leading", "internal_process"),
    ("Forecast accuracy", "%", "increase_to", 72.0, 8.0, "leading", "internal_process"),
    ("Inventory days on hand", "days", "decrease_to", 48.0, -8.0, "lagging",
     "internal_process"),
    ("Stock-outs per week", "count", "stay_at_or_below", 120.0, -0.20, "leading",
     "internal_process"),
    ("System availability", "%", "stay_at_or_above", 99.5, 0.2, "leading", "internal_process"),
    ("Release lead time", "days", "decrease_to", 21.0, -9.0, "leading", "internal_process"),
    ("Automated invoices", "%", "increase_to", 35.0, 30.0, "leading", "internal_process"),
    ("Employee engagement", "score", "increase_to", 68.0, 6.0, "lagging", "learning_growth"),
    ("Voluntary attrition", "%", "decrease_to", 14.0, -3.0, "lagging", "learning_growth"),
    ("Training hours per FTE", "count", "increase_to", 18.0, 0.35, "leading",
     "learning_growth"),
    ("Time to hire", "days", "decrease_to", 48.0, -12.0, "leading", "learning_growth"),
    ("Internal promotion rate", "%", "increase_to", 22.0, 8.0, "lagging", "learning_growth"),
    ("Lost-time injury rate", "score", "stay_at_or_below", 2.4, -0.6, "lagging",
     "learning_growth"),
]

INITIATIVES = ["Roll out self-checkout", "Consolidate suppliers", "Automate invoice matching",
               "Migrate ERP to the cloud", "Redesign the returns process", "Launch loyalty app",
               "Introduce dynamic pricing", "Open micro-fulfilment centre",
               "Renegotiate freight contracts", "Reduce packaging cost",
               "Lean warehouse layout", "Leadership academy", "Graduate programme",
               "Data platform modernisation", "Customer 360", "Zero-based budgeting",
               "Store energy efficiency", "Shared service centre", "Demand sensing pilot",
               "Click & collect expansion", "Safety first programme", "Contact centre AI",
               "Assortment rationalisation", "Vendor-managed inventory",
               "Digital onboarding", "Procure-to-pay automation", "Fleet electrification"]

MILESTONES = ["Business case approved", "Vendor selected", "Design signed off",
              "Pilot live", "Pilot evaluated", "Rollout wave 1", "Rollout wave 2",
              "Training complete", "Go-live", "Hypercare closed", "Benefits review"]

MEASUREMENT_NOTES = ["Month-end close figure", "Restated after data fix",
                     "Includes promotion week", "Preliminary, final next week",
                     "Source: BI dashboard", "Lower due to store closures",
                     "Holiday effect", "System outage on two days"]

#: Segments that tell two otherwise equal names in one unit apart ("Net revenue (online)").
QUALIFIERS = ["online", "stores", "key accounts", "new customers", "private label",
              "core range", "B2B", "franchise", "peak season", "premium range",
              "own brands", "wholesale partners", "marketplace", "subscriptions",
              "services", "spare parts", "fresh", "non-food", "city stores", "outlets"]


def distinct(bases: list[str], suffixes: list[str], groups: list[int]) -> list[str]:
    """Return ``base [(qualifier)] suffix`` per item, unique within each group.

    The first use of a base in a group keeps it plain; later ones get the next unused
    qualifier (then "wave 2", "wave 3", … once the qualifiers run out), so every name
    in a unit still says what it measures or does.
    """
    used: set[tuple[int, str]] = set()
    out: list[str] = []
    for base, suffix, g in zip(bases, suffixes, groups, strict=True):
        name = f"{base}{suffix}"
        k = 0
        while (g, name) in used:
            q = QUALIFIERS[k] if k < len(QUALIFIERS) else f"wave {k - len(QUALIFIERS) + 2}"
            name = f"{base} ({q}){suffix}"
            k += 1
        used.add((g, name))
        out.append(name)
    return out
