"""Imports every model module so that metadata, migrations and create_all see all tables."""

from civic.accounts import models as accounts_models
from civic.agencies import models as agencies_models
from civic.audit import models as audit_models
from civic.draws import models as draws_models
from civic.mail import models as mail_models
from civic.notifications import models as notifications_models
from civic.scheduling import models as scheduling_models
from panels import models as panels_models
from proposals import models as proposals_models
from proposals import pilot_models
from voting import models as voting_models

__all__ = [
    "accounts_models",
    "agencies_models",
    "audit_models",
    "draws_models",
    "mail_models",
    "notifications_models",
    "scheduling_models",
    "panels_models",
    "proposals_models",
    "pilot_models",
    "voting_models",
]
