"""The privacy centre: my data, copies, requests and their deadlines, the privacy officer's queue, next of kin."""

from jidi.kit.feature import Feature

feature = Feature(
    "rights",
    title=("个人信息权利请求", "Requests about your personal information"),
    models=("jidi.rights.models",),
    services={"rights": "jidi.rights.service:Rights"},
    needs=("accounts", "family", "notify", "workdays"),
    api=("jidi.rights.api:router",),
    pages=("jidi.rights.views:router",),
    jobs="jidi.rights.jobs:register",
    handlers=("jidi.rights.service",),
    templates=True,
)
