// With `tracker serve --login`, a callback answered 401 means the session is over (signed out
// elsewhere, a new password, the server's users file changed): go to the login page and come
// back here afterwards, instead of leaving a page whose callbacks all fail.
(function () {
    var fetch = window.fetch;
    if (!fetch) { return; }
    window.fetch = function () {
        return fetch.apply(this, arguments).then(function (response) {
            if (response.status === 401 && response.url.indexOf("/_dash-") !== -1) {
                var here = window.location.pathname + window.location.search;
                window.location.assign("/login?next=" + encodeURIComponent(here));
            }
            return response;
        });
    };
})();
