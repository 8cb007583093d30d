"""Every table, imported in one place so the catalog, migrations and tests see the whole schema."""
from jidi.accounts import models as accounts_models  # noqa: F401
from jidi.addressbook import models as addressbook_models  # noqa: F401
from jidi.db import Base
from jidi.events import models as events_models  # noqa: F401
from jidi.family import models as family_models  # noqa: F401
from jidi.notify import models as notify_models  # noqa: F401
from jidi.privacy import models as privacy_models  # noqa: F401
from jidi.retention import models as retention_models  # noqa: F401
from jidi.rights import models as rights_models  # noqa: F401
from jidi.shipping import models as shipping_models  # noqa: F401
from jidi.tracking import models as tracking_models  # noqa: F401
from jidi.workdays import models as workdays_models  # noqa: F401

metadata = Base.metadata
