"""Opening one centre's installation: its home, its store and its key, the one way.

The web application and every command-line path open the installation here, so every path
works on the same database and republishes the home's trust bundle by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from issuer.centre import Centre
from issuer.home import Home, home_path, passphrase
from issuer.migrate import Wave1Import
from issuer.service import publication
from issuer.store import Store


@dataclass
class Installation:
    home: Home
    store: Store
    centre: Centre

    @classmethod
    def open(cls, home: Home | None = None, *, secret: str | None = None,
             database_url: str | None = None, wave1: Wave1Import | None = None) -> Installation:
        home = home or Home(home_path())
        home.require()
        centre = Centre.open(home, secret if secret is not None else passphrase())
        store = Store.open(home, url=database_url, wave1=wave1)
        try:
            store.publisher = publication.HomePublisher(store, centre)
            publication.publish_home(store, centre)  # the home's copy starts equal to the database
        except BaseException:
            store.close()
            raise
        return cls(home, store, centre)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
